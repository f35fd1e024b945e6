//! A remote SPARQL server as a sink (`kgrep push`): each document's graphs
//! (its provenance graph and its matches' support graphs) replace the server's
//! copy exactly, and the facts graph (the server's default graph, or a named
//! graph) stays what the local store's default graph is: a fact is added with
//! its first support and removed with its last. Everything is SPARQL 1.1
//! Update, so one request carries a batch of graphs (the Graph Store
//! Protocol needs a request per graph, and cannot remove a fact only where
//! no other graph supports it). Requests are retried with backoff on
//! connection errors and 5xx; a 4xx is an error that says what the server said.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::Duration;

use oxigraph::model::{GraphName, NamedNode, Quad};

use crate::vocab;

/// How to sign requests.
#[derive(Clone, Debug, Default)]
pub enum Auth {
    /// No credentials.
    #[default]
    None,
    /// HTTP basic authentication.
    Basic {
        /// The user.
        user: String,
        /// The password.
        password: String,
    },
    /// `Authorization: Bearer TOKEN`.
    Bearer(String),
}

/// What can go wrong talking to the server.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RemoteError {
    /// The server refused the request (4xx), or kept failing (5xx).
    #[error("{url} answered {status}: {body}")]
    Status {
        /// The URL.
        url: String,
        /// The HTTP status.
        status: u16,
        /// What it said (its first lines).
        body: String,
    },
    /// The server could not be reached.
    #[error("cannot reach {url}: {why} (after {attempts} attempts)")]
    Transport {
        /// The URL.
        url: String,
        /// Why.
        why: String,
        /// How many times it was tried.
        attempts: u32,
    },
    /// The server's answer is not SPARQL JSON results.
    #[error("{url} did not answer with SPARQL JSON results: {why}")]
    Answer {
        /// The URL.
        url: String,
        /// Why.
        why: String,
    },
}

/// A SPARQL server: its query and update endpoints, and how to reach them.
#[derive(Clone)]
pub struct Remote {
    query_url: String,
    update_url: String,
    auth: Auth,
    facts_graph: Option<NamedNode>,
    attempts: u32,
    batch_bytes: usize,
    agent: ureq::Agent,
}

/// Up to this many bytes of SPARQL in one update request.
const DEFAULT_BATCH_BYTES: usize = 4 << 20;

impl Remote {
    /// A server with these endpoints; facts go to its default graph unless
    /// `facts_graph` names one.
    pub fn new(
        query_url: &str,
        update_url: &str,
        auth: Auth,
        facts_graph: Option<NamedNode>,
    ) -> Remote {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(300)))
            .build()
            .into();
        Remote {
            query_url: query_url.to_owned(),
            update_url: update_url.to_owned(),
            auth,
            facts_graph,
            attempts: 5,
            batch_bytes: DEFAULT_BATCH_BYTES,
            agent,
        }
    }

    /// Sets how many bytes of SPARQL one update request may carry.
    pub fn with_batch_bytes(mut self, bytes: usize) -> Remote {
        self.batch_bytes = bytes.max(1024);
        self
    }

    /// The documents the server holds, with their content hashes (the
    /// `kgrep:sha256` of each document graph; empty when it has none).
    pub fn documents(&self) -> Result<HashMap<String, String>, RemoteError> {
        let query = format!(
            "SELECT ?d ?h WHERE {{ GRAPH ?d {{ ?d a <{}> OPTIONAL {{ ?d <{}> ?h }} }} }}",
            vocab::term::DOCUMENT,
            vocab::term::SHA256
        );
        let answer = self.select(&query)?;
        let mut documents = HashMap::new();
        for binding in answer["results"]["bindings"]
            .as_array()
            .into_iter()
            .flatten()
        {
            if let Some(document) = binding["d"]["value"].as_str() {
                let hash = binding["h"]["value"].as_str().unwrap_or("").to_owned();
                documents.insert(document.to_owned(), hash);
            }
        }
        Ok(documents)
    }

    /// Replaces the server's copy of `document` with `quads` (its layout as
    /// [`crate::provenance`] writes it: facts in the default graph, support
    /// and provenance in named graphs). Returns the requests made.
    pub fn replace_document(
        &self,
        document: &NamedNode,
        quads: &[Quad],
    ) -> Result<usize, RemoteError> {
        let mut requests = self.remove_document(document)?;
        let mut batch = String::new();
        let mut facts = String::new();
        let mut graphs: Vec<(&GraphName, String)> = Vec::new();
        for quad in quads {
            let triple = format!("{} {} {} .\n", quad.subject, quad.predicate, quad.object);
            match &quad.graph_name {
                GraphName::DefaultGraph => facts.push_str(&triple),
                graph => match graphs.last_mut() {
                    Some((last, text)) if *last == graph => text.push_str(&triple),
                    _ => graphs.push((graph, triple)),
                },
            }
        }
        // Support and provenance first, the facts last: a reader never sees a
        // fact without the graph that supports it.
        for (graph, triples) in graphs {
            write!(batch, "GRAPH {graph} {{\n{triples}}}\n").expect("string");
            if batch.len() > self.batch_bytes {
                self.update(&format!("INSERT DATA {{\n{batch}}}"))?;
                requests += 1;
                batch.clear();
            }
        }
        if !batch.is_empty() {
            self.update(&format!("INSERT DATA {{\n{batch}}}"))?;
            requests += 1;
        }
        for chunk in chunks(&facts, self.batch_bytes) {
            let data = match &self.facts_graph {
                Some(graph) => format!("INSERT DATA {{ GRAPH {graph} {{\n{chunk}}} }}"),
                None => format!("INSERT DATA {{\n{chunk}}}"),
            };
            self.update(&data)?;
            requests += 1;
        }
        Ok(requests)
    }

    /// Removes `document` from the server: its facts where no other graph
    /// supports them, its support graphs, its provenance graph. Returns the
    /// requests made.
    pub fn remove_document(&self, document: &NamedNode) -> Result<usize, RemoteError> {
        let iri = document.as_str();
        let own = format!("{iri}#");
        let facts = match &self.facts_graph {
            Some(graph) => format!("GRAPH {graph} {{ ?s ?p ?o }}"),
            None => "?s ?p ?o".to_owned(),
        };
        let not_facts_graph = match &self.facts_graph {
            Some(graph) => format!(" && ?other != {graph}"),
            None => String::new(),
        };
        let rule = vocab::term::RULE;
        let update = format!(
            "DELETE {{ {facts} }} WHERE {{
  GRAPH <{iri}> {{ ?m <{rule}> ?rule }}
  GRAPH ?m {{ ?s ?p ?o }}
  FILTER NOT EXISTS {{
    GRAPH ?other {{ ?s ?p ?o }}
    FILTER(?other != <{iri}> && !STRSTARTS(STR(?other), {own:?}){not_facts_graph})
  }}
}} ;
DELETE {{ GRAPH ?m {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{iri}> {{ ?m <{rule}> ?rule }} GRAPH ?m {{ ?s ?p ?o }} }} ;
DROP SILENT GRAPH <{iri}>"
        );
        self.update(&update)?;
        Ok(1)
    }

    fn select(&self, query: &str) -> Result<serde_json::Value, RemoteError> {
        // A form, not application/sparql-query: Virtuoso waits forever on that.
        let form: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("query", query)
            .finish();
        let body = self.send(
            &self.query_url,
            "application/x-www-form-urlencoded",
            &form,
            "application/sparql-results+json",
        )?;
        serde_json::from_str(&body).map_err(|error| RemoteError::Answer {
            url: self.query_url.clone(),
            why: error.to_string(),
        })
    }

    fn update(&self, update: &str) -> Result<(), RemoteError> {
        self.send(&self.update_url, "application/sparql-update", update, "*/*")
            .map(|_| ())
    }

    /// POSTs `body`; retries connection errors and 5xx with backoff.
    fn send(
        &self,
        url: &str,
        content_type: &str,
        body: &str,
        accept: &str,
    ) -> Result<String, RemoteError> {
        let mut delay = Duration::from_millis(200);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut request = self
                .agent
                .post(url)
                .header("Content-Type", content_type)
                .header("Accept", accept);
            match &self.auth {
                Auth::None => {}
                Auth::Basic { user, password } => {
                    let token = base64(&format!("{user}:{password}"));
                    request = request.header("Authorization", format!("Basic {token}"));
                }
                Auth::Bearer(token) => {
                    request = request.header("Authorization", format!("Bearer {token}"));
                }
            }
            let (retry, error) = match request.send(body) {
                Ok(mut response) => {
                    let status = response.status().as_u16();
                    let text = response.body_mut().read_to_string().unwrap_or_default();
                    if (200..300).contains(&status) {
                        return Ok(text);
                    }
                    let error = RemoteError::Status {
                        url: url.to_owned(),
                        status,
                        body: text.lines().take(5).collect::<Vec<_>>().join(" / "),
                    };
                    (status >= 500, error)
                }
                Err(error) => (
                    true,
                    RemoteError::Transport {
                        url: url.to_owned(),
                        why: error.to_string(),
                        attempts: attempt,
                    },
                ),
            };
            if !retry || attempt >= self.attempts {
                return Err(error);
            }
            std::thread::sleep(delay);
            delay = (delay * 2).min(Duration::from_secs(10));
        }
    }
}

/// `text` cut at line ends into pieces of about `size` bytes.
fn chunks(text: &str, size: usize) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let cut = if rest.len() <= size {
            rest.len()
        } else {
            rest[..size].rfind('\n').map_or(rest.len(), |at| at + 1)
        };
        pieces.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    pieces
}

/// Basic authentication's `user:password`, in base64.
fn base64(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_follows_rfc_4648() {
        assert_eq!(
            base64("Aladdin:open sesame"),
            "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        assert_eq!(base64("ab"), "YWI=");
        assert_eq!(base64("abc"), "YWJj");
    }

    #[test]
    fn chunks_cut_at_line_ends() {
        assert_eq!(chunks("a\nbb\nccc\n", 5), ["a\nbb\n", "ccc\n"]);
        assert_eq!(chunks("", 5), Vec::<&str>::new());
    }
}
