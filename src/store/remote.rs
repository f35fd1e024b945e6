//! A remote SPARQL server as a sink (`kgrep push`): each document's graphs
//! (its provenance graph and its matches' support graphs) replace the server's
//! copy exactly, and the facts graph (the server's default graph, or a named
//! graph) stays what the local store's default graph is: a fact is added with
//! its first support and removed with its last. By default everything is
//! SPARQL 1.1 Update, so one request carries a batch of graphs; with a Graph
//! Store Protocol endpoint each support and provenance graph is PUT (and a
//! graph a document no longer has is DELETEd), and Update does only what GSP
//! cannot say: add a fact to the facts graph, remove one no other graph
//! supports. Requests are retried with backoff on connection errors and 5xx;
//! a 4xx is an error that says what the server said. Passwords answer the
//! server's challenge, basic or digest (RFC 7616, the `digest_auth` crate).

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use oxigraph::model::{GraphName, NamedNode, Quad};

use crate::vocab;

/// How to sign requests.
#[derive(Clone, Debug, Default)]
pub enum Auth {
    /// No credentials.
    #[default]
    None,
    /// A user and a password, sent as the server asks once it has answered
    /// 401: digest when it offers digest, else basic.
    Password {
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
    graph_store: Option<String>,
    facts_graph: Option<NamedNode>,
    attempts: u32,
    batch_bytes: usize,
    agent: ureq::Agent,
    /// The scheme the server asked for, once it has (shared by the threads).
    challenge: Arc<Mutex<Option<Challenge>>>,
}

/// What a server answered 401 with.
enum Challenge {
    Basic,
    Digest(Box<digest_auth::WwwAuthenticateHeader>),
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
            graph_store: None,
            auth,
            facts_graph,
            attempts: 5,
            batch_bytes: DEFAULT_BATCH_BYTES,
            agent,
            challenge: Arc::default(),
        }
    }

    /// Writes each document's graphs through this Graph Store Protocol
    /// endpoint (PUT and DELETE with `?graph=IRI`).
    pub fn with_graph_store(mut self, url: &str) -> Remote {
        self.graph_store = Some(url.to_owned());
        self
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
        if let Some(graph_store) = &self.graph_store {
            return self.replace_by_graph_store(graph_store, document, quads);
        }
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
        Ok(requests + self.insert_facts(&facts)?)
    }

    /// The facts graph gets `facts` (N-Triples lines). Returns the requests made.
    fn insert_facts(&self, facts: &str) -> Result<usize, RemoteError> {
        let mut requests = 0;
        for chunk in chunks(facts, self.batch_bytes) {
            let data = match &self.facts_graph {
                Some(graph) => format!("INSERT DATA {{ GRAPH {graph} {{\n{chunk}}} }}"),
                None => format!("INSERT DATA {{\n{chunk}}}"),
            };
            self.update(&data)?;
            requests += 1;
        }
        Ok(requests)
    }

    /// [`Remote::replace_document`] over the Graph Store Protocol: the facts
    /// only this document supports leave the facts graph (Update), the
    /// support graphs it no longer has are DELETEd, every graph it has is
    /// PUT (provenance last, so a reader never sees a match without its
    /// support), then its facts are added (Update).
    fn replace_by_graph_store(
        &self,
        graph_store: &str,
        document: &NamedNode,
        quads: &[Quad],
    ) -> Result<usize, RemoteError> {
        let mut facts = String::new();
        let mut graphs: Vec<(&NamedNode, String)> = Vec::new();
        for quad in quads {
            let triple = format!("{} {} {} .\n", quad.subject, quad.predicate, quad.object);
            match &quad.graph_name {
                GraphName::NamedNode(graph) => match graphs.iter_mut().find(|(g, _)| *g == graph) {
                    Some((_, text)) => text.push_str(&triple),
                    None => graphs.push((graph, triple)),
                },
                _ => facts.push_str(&triple),
            }
        }
        graphs.sort_by_key(|(graph, _)| *graph == document);
        self.update(&self.remove_unsupported_facts(document))?;
        let keep: HashSet<&str> = graphs.iter().map(|(graph, _)| graph.as_str()).collect();
        let old = self.support_graphs(document)?;
        let mut requests = 2; // the update and the query of the old graphs
        for old in old.iter().filter(|old| !keep.contains(old.as_str())) {
            self.graph_request("DELETE", graph_store, old, None)?;
            requests += 1;
        }
        for (graph, triples) in &graphs {
            self.graph_request("PUT", graph_store, graph.as_str(), Some(triples))?;
            requests += 1;
        }
        Ok(requests + self.insert_facts(&facts)?)
    }

    /// The support graphs the server's provenance graph of `document` names.
    fn support_graphs(&self, document: &NamedNode) -> Result<Vec<String>, RemoteError> {
        let query = format!(
            "SELECT DISTINCT ?m WHERE {{ GRAPH {document} {{ ?m <{}> ?rule }} }}",
            vocab::term::RULE
        );
        let answer = self.select(&query)?;
        Ok(answer["results"]["bindings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|binding| binding["m"]["value"].as_str().map(str::to_owned))
            .collect())
    }

    /// A Graph Store Protocol request on `graph`: PUT with `triples`
    /// (N-Triples, sent as Turtle, which every server reads), or DELETE
    /// (a graph the server does not have is not an error).
    fn graph_request(
        &self,
        method: &str,
        graph_store: &str,
        graph: &str,
        triples: Option<&str>,
    ) -> Result<(), RemoteError> {
        let separator = if graph_store.contains('?') { '&' } else { '?' };
        let url: String = form_urlencoded::Serializer::new(format!("{graph_store}{separator}"))
            .append_pair("graph", graph)
            .finish();
        match self.send(method, &url, "text/turtle", triples.unwrap_or(""), "*/*") {
            Err(RemoteError::Status { status: 404, .. }) if method == "DELETE" => Ok(()),
            other => other.map(|_| ()),
        }
    }

    /// Removes `document` from the server: its facts where no other graph
    /// supports them, its support graphs, its provenance graph. Returns the
    /// requests made.
    pub fn remove_document(&self, document: &NamedNode) -> Result<usize, RemoteError> {
        let iri = document.as_str();
        let rule = vocab::term::RULE;
        let update = format!(
            "{} ;
DELETE {{ GRAPH ?m {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{iri}> {{ ?m <{rule}> ?rule }} GRAPH ?m {{ ?s ?p ?o }} }} ;
DROP SILENT GRAPH <{iri}>",
            self.remove_unsupported_facts(document)
        );
        self.update(&update)?;
        Ok(1)
    }

    /// The update that removes from the facts graph the facts `document`'s
    /// support graphs hold and no other graph does.
    fn remove_unsupported_facts(&self, document: &NamedNode) -> String {
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
        format!(
            "DELETE {{ {facts} }} WHERE {{
  GRAPH <{iri}> {{ ?m <{rule}> ?rule }}
  GRAPH ?m {{ ?s ?p ?o }}
  FILTER NOT EXISTS {{
    GRAPH ?other {{ ?s ?p ?o }}
    FILTER(?other != <{iri}> && !STRSTARTS(STR(?other), {own:?}){not_facts_graph})
  }}
}}"
        )
    }

    fn select(&self, query: &str) -> Result<serde_json::Value, RemoteError> {
        // A form, not application/sparql-query: Virtuoso waits forever on that.
        let form: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("query", query)
            .finish();
        let body = self.send(
            "POST",
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
        self.send(
            "POST",
            &self.update_url,
            "application/sparql-update",
            update,
            "*/*",
        )
        .map(|_| ())
    }

    /// Sends `body` with `method`; retries connection errors and 5xx with
    /// backoff, and answers an authentication challenge (a 401) once.
    fn send(
        &self,
        method: &str,
        url: &str,
        content_type: &str,
        body: &str,
        accept: &str,
    ) -> Result<String, RemoteError> {
        let mut delay = Duration::from_millis(200);
        let (mut attempt, mut challenges) = (0, 0);
        loop {
            attempt += 1;
            let mut request = ureq::http::Request::builder()
                .method(method)
                .uri(url)
                .header("Content-Type", content_type)
                .header("Accept", accept);
            if let Some(authorization) = self.authorization(method, url, body) {
                request = request.header("Authorization", authorization);
            }
            let request =
                request
                    .body(body.to_owned())
                    .map_err(|error| RemoteError::Transport {
                        url: url.to_owned(),
                        why: error.to_string(),
                        attempts: attempt,
                    })?;
            let (retry, error) = match self.agent.run(request) {
                Ok(mut response) => {
                    let status = response.status().as_u16();
                    if status == 401 && challenges < 2 && self.challenged(response.headers()) {
                        challenges += 1;
                        attempt -= 1;
                        continue;
                    }
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

    /// The `Authorization` header for a request, if there are credentials
    /// (a password only once the server has said how it wants it).
    fn authorization(&self, method: &str, url: &str, body: &str) -> Option<String> {
        match &self.auth {
            Auth::None => None,
            Auth::Bearer(token) => Some(format!("Bearer {token}")),
            Auth::Password { user, password } => {
                let mut challenge = self
                    .challenge
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                match challenge.as_mut()? {
                    Challenge::Basic => {
                        Some(format!("Basic {}", base64(&format!("{user}:{password}"))))
                    }
                    Challenge::Digest(header) => {
                        let context = digest_auth::AuthContext::new_with_method(
                            user.as_str(),
                            password.as_str(),
                            request_target(url),
                            Some(body.as_bytes()),
                            digest_auth::HttpMethod(method.to_owned().into()),
                        );
                        header
                            .respond(&context)
                            .ok()
                            .map(|answer| answer.to_header_string())
                    }
                }
            }
        }
    }

    /// Takes the challenge of a 401 (digest preferred to basic); whether
    /// the request is worth sending again.
    fn challenged(&self, headers: &ureq::http::HeaderMap) -> bool {
        if !matches!(self.auth, Auth::Password { .. }) {
            return false;
        }
        let offers: Vec<&str> = headers
            .get_all("www-authenticate")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .collect();
        let digest = offers
            .iter()
            .filter(|offer| {
                offer
                    .trim_start()
                    .to_ascii_lowercase()
                    .starts_with("digest")
            })
            .find_map(|offer| digest_auth::parse(offer).ok());
        let challenge = match digest {
            Some(header) => Challenge::Digest(Box::new(header)),
            None if offers
                .iter()
                .any(|o| o.trim_start().to_ascii_lowercase().starts_with("basic")) =>
            {
                Challenge::Basic
            }
            None => return false,
        };
        *self
            .challenge
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(challenge);
        true
    }
}

/// The request target of `url` (its path and query), which digest signs.
fn request_target(url: &str) -> &str {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    after_scheme.find('/').map_or("/", |at| &after_scheme[at..])
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
    fn digest_signs_the_path_and_query() {
        assert_eq!(
            request_target("http://h:8890/sparql-graph-crud-auth?graph=a%23b"),
            "/sparql-graph-crud-auth?graph=a%23b"
        );
        assert_eq!(request_target("http://h:8890"), "/");
    }

    #[test]
    fn chunks_cut_at_line_ends() {
        assert_eq!(chunks("a\nbb\nccc\n", 5), ["a\nbb\n", "ccc\n"]);
        assert_eq!(chunks("", 5), Vec::<&str>::new());
    }
}
