//! `kgrep serve`: a store over the SPARQL 1.1 Protocol (see `crate::server`).

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anstyle::AnsiColor;
use anyhow::{Context, Result};
use clap::Args;

use super::query::parse_timeout;
use super::{Outcome, Output};
use crate::server::{Config, Service};
use kgrep::store::StoreDir;

/// Arguments of `kgrep serve`.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  kgrep serve --store graph.kgstore                   http://127.0.0.1:7878/
  kgrep serve --store graph.kgstore --bind 127.0.0.1:0 --cors
  curl -H 'Accept: text/csv' --data-urlencode 'query=SELECT * WHERE { ?s ?p ?o } LIMIT 3' http://127.0.0.1:7878/sparql

The endpoint is /sparql (SPARQL 1.1 Protocol: GET ?query=, POST a form or
application/sparql-query; updates as application/sparql-update or a form's
update=, only with --writable). Results are negotiated by Accept: SPARQL
JSON, XML, CSV, TSV; Turtle, N-Triples, JSON-LD, RDF/XML for CONSTRUCT and
DESCRIBE (or ?format=json|xml|csv|tsv|ttl|nt|jsonld|rdf). The default graph is
the facts, the store's prefixes are declared, and each request reads the
latest published state, so a build may write the store meanwhile. At / a page
runs queries and shows a fact's provenance on click. Binds to 127.0.0.1 unless
told otherwise; port 0 picks a free port (printed).")]
pub struct ServeArgs {
    /// The on-disk store.
    #[arg(long, value_name = "DIR", env = "KGREP_STORE", required = true)]
    pub store: PathBuf,

    /// The address to listen on.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:7878")]
    pub bind: SocketAddr,

    /// Accept SPARQL updates (they take the store's writer lock).
    #[arg(long)]
    pub writable: bool,

    /// Send `Access-Control-Allow-Origin: *`, for pages served elsewhere.
    #[arg(long)]
    pub cors: bool,

    /// Cancel a query after this many seconds.
    #[arg(long, value_name = "SECONDS", default_value = "30", value_parser = parse_timeout)]
    pub timeout: Duration,

    /// At most this many requests at once (more wait their turn).
    #[arg(long, value_name = "N", default_value_t = 16,
          value_parser = clap::value_parser!(u16).range(1..))]
    pub max_connections: u16,
}

/// Runs `kgrep serve` until it is killed.
pub fn run(args: &ServeArgs, output: &Output) -> Result<Outcome> {
    let dir = StoreDir::open(&args.store)?;
    let service = Arc::new(Service::new(Config {
        dir,
        writable: args.writable,
        cors: args.cors,
        timeout: args.timeout,
    })?);
    // Port 0: ask the system for a free port, then listen on it.
    let address = if args.bind.port() == 0 {
        TcpListener::bind(args.bind)
            .and_then(|listener| listener.local_addr())
            .with_context(|| format!("cannot listen on {}", args.bind))?
    } else {
        args.bind
    };
    let server = oxhttp::Server::new(move |request| service.handle(request))
        .bind(address)
        .with_global_timeout(args.timeout + Duration::from_secs(30))
        .with_max_concurrent_connections(usize::from(args.max_connections));
    let listening = server
        .spawn()
        .with_context(|| format!("cannot listen on {address}"))?;
    output.status(
        "serving",
        AnsiColor::Green,
        &format!(
            "`{}` at http://{address}/ (SPARQL endpoint: http://{address}/sparql{}); Ctrl-C stops",
            args.store.display(),
            if args.writable { ", writable" } else { "" }
        ),
    );
    listening.join()?;
    Ok(Outcome::Success)
}
