//! The SPARQL 1.1 Protocol over a store (`kgrep serve`), the third front end
//! beside the CLI and the REPL: queries by GET and POST, updates only when
//! writable, content negotiation for the W3C result and RDF formats, a
//! timeout per query, CORS on demand, and a small page at `/` to query and to
//! see a fact's provenance. Each request reads the store's latest published
//! state, so a build can write the store while it is served. Results stream
//! through a pipe from a thread that owns the reader, written as the CLI and
//! the REPL write them (`ui::results`: Turtle and JSON-LD grouped and sorted,
//! which holds a CONSTRUCT's triples; the other formats stream).

mod negotiate;

use std::sync::Mutex;
use std::time::Duration;

use oxhttp::model::{Body, HeaderValue, Method, Request, Response, StatusCode, header};
use oxigraph::sparql::{CancellationToken, QueryResults};

use crate::ui::results::{PrintOptions, write_results};
use kgrep::store::{GraphStore, QueryTimer, StoreDir, StoreError};
use negotiate::negotiate;

/// What the server serves and how.
pub struct Config {
    /// The store.
    pub dir: StoreDir,
    /// Whether SPARQL updates are accepted.
    pub writable: bool,
    /// Whether to send `Access-Control-Allow-Origin: *`.
    pub cors: bool,
    /// How long a query may run.
    pub timeout: Duration,
}

/// The server's state: its configuration and the reader of the latest
/// published generation (reopened when a writer publishes a new one).
pub struct Service {
    config: Config,
    reader: Mutex<(u64, GraphStore)>,
}

/// The page at `/`.
const PAGE: &str = include_str!("page.html");

/// The largest request body read (a query or an update).
const MAX_BODY: u64 = 16 << 20;

impl Service {
    /// A service over `config.dir`.
    pub fn new(config: Config) -> Result<Service, StoreError> {
        let generation = config.dir.generation()?;
        let reader = config.dir.reader()?;
        Ok(Service {
            config,
            reader: Mutex::new((generation, reader)),
        })
    }

    /// The reader of the latest published state.
    fn reader(&self) -> Result<GraphStore, StoreError> {
        let mut guard = self.reader.lock().expect("reader lock");
        let generation = self.config.dir.generation()?;
        if guard.0 != generation {
            *guard = (generation, self.config.dir.reader()?);
        }
        Ok(guard.1.clone())
    }

    /// Answers one HTTP request.
    pub fn handle(&self, request: &mut Request<Body>) -> Response<Body> {
        let mut response = match self.route(request) {
            Ok(response) => response,
            Err((status, message)) => plain(status, message),
        };
        if self.config.cors {
            let headers = response.headers_mut();
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            );
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("Accept, Content-Type"),
            );
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("GET, POST, OPTIONS"),
            );
        }
        response
    }

    fn route(&self, request: &mut Request<Body>) -> Result<Response<Body>, (StatusCode, String)> {
        let path = request.uri().path().to_owned();
        match (request.method().clone(), path.as_str()) {
            (Method::OPTIONS, _) => Ok(with_body(StatusCode::NO_CONTENT, "", Body::empty())),
            (Method::GET, "/") => self.page(),
            (Method::GET, "/sparql") => {
                let form = form(request.uri().query().unwrap_or(""));
                match (value(&form, "query"), value(&form, "update")) {
                    (Some(query), _) => self.query(request, query, &form),
                    (None, Some(_)) => Err((
                        StatusCode::BAD_REQUEST,
                        "an update must be POSTed (SPARQL 1.1 Protocol §2.2)".into(),
                    )),
                    (None, None) => self.page(),
                }
            }
            (Method::POST, "/sparql") => {
                let kind = content_type(request);
                let body = read_body(request)?;
                match kind.as_str() {
                    "application/sparql-query" => {
                        let form = form(request.uri().query().unwrap_or(""));
                        self.query(request, body, &form)
                    }
                    "application/sparql-update" => self.update(&body),
                    "application/x-www-form-urlencoded" => {
                        let form = form(&body);
                        match (value(&form, "query"), value(&form, "update")) {
                            (Some(query), _) => self.query(request, query, &form),
                            (None, Some(update)) => self.update(&update),
                            (None, None) => Err((
                                StatusCode::BAD_REQUEST,
                                "the form has neither `query` nor `update`".into(),
                            )),
                        }
                    }
                    other => Err((
                        StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        format!(
                            "`{other}` is not a SPARQL request: send application/sparql-query, application/sparql-update or a form"
                        ),
                    )),
                }
            }
            (Method::GET | Method::POST, _) => Err((
                StatusCode::NOT_FOUND,
                format!("nothing at `{path}`: the endpoint is /sparql, the page is /"),
            )),
            (method, _) => Err((
                StatusCode::METHOD_NOT_ALLOWED,
                format!("{method} is not supported: use GET or POST"),
            )),
        }
    }

    fn page(&self) -> Result<Response<Body>, (StatusCode, String)> {
        let prefixes = self
            .reader()
            .map_err(internal)?
            .prefixes()
            .map_err(internal)?;
        let json = serde_json::to_string(&prefixes).unwrap_or_else(|_| "[]".into());
        let page = PAGE.replace("/*PREFIXES*/[]", &json.replace("</", "<\\/"));
        Ok(with_body(
            StatusCode::OK,
            "text/html; charset=utf-8",
            Body::from(page),
        ))
    }

    fn query(
        &self,
        request: &Request<Body>,
        query: String,
        form: &[(String, String)],
    ) -> Result<Response<Body>, (StatusCode, String)> {
        if value(form, "default-graph-uri").is_some() || value(form, "named-graph-uri").is_some() {
            return Err((
                StatusCode::BAD_REQUEST,
                "default-graph-uri and named-graph-uri are not supported: the default graph is the facts; name other graphs with GRAPH".into(),
            ));
        }
        let store = self.reader().map_err(internal)?;
        let prefixes = store.prefixes().map_err(internal)?;
        let accept = request
            .headers()
            .get(header::ACCEPT)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("*/*")
            .to_owned();
        let format = value(form, "format");
        let timeout = self.config.timeout;
        // Results borrow the store: a thread owns both, says how the answer
        // will be written (or what is wrong: a syntax error is a 400, not a
        // broken stream), then writes it into a pipe the response reads.
        let (head, said) = std::sync::mpsc::channel();
        let (reader, mut writer) = std::io::pipe().map_err(internal)?;
        std::thread::spawn(move || {
            let token = CancellationToken::new();
            let _timer = QueryTimer::start(timeout, token.clone());
            let results = match store.query(&query, &prefixes, token) {
                Ok(results) => results,
                Err(StoreError::Syntax(error)) => {
                    let _ = head.send(Err((
                        StatusCode::BAD_REQUEST,
                        format!("SPARQL syntax error: {error}"),
                    )));
                    return;
                }
                Err(error) => {
                    let _ = head.send(Err(internal(error)));
                    return;
                }
            };
            let graph = matches!(results, QueryResults::Graph(_));
            let Some(answer) = negotiate(&accept, format.as_deref(), graph) else {
                let _ = head.send(Err(not_acceptable(&accept, graph)));
                return;
            };
            if head.send(Ok(answer)).is_ok() {
                let options = PrintOptions {
                    query: &query,
                    ..PrintOptions::default()
                };
                let _ = write_results(results, answer.format(), &prefixes, &options, &mut writer);
            }
        });
        let answer = said
            .recv()
            .map_err(|_| internal("the query thread ended without an answer"))??;
        Ok(with_body(
            StatusCode::OK,
            answer.media_type(),
            Body::from_read(reader),
        ))
    }

    fn update(&self, update: &str) -> Result<Response<Body>, (StatusCode, String)> {
        if !self.config.writable {
            return Err((
                StatusCode::FORBIDDEN,
                "this endpoint is read-only (start it with `kgrep serve --writable` to accept updates)"
                    .into(),
            ));
        }
        let writer = self.config.dir.write().map_err(|error| match error {
            StoreError::Locked(_) => (StatusCode::SERVICE_UNAVAILABLE, error.to_string()),
            other => internal(other),
        })?;
        let prefixes = writer.store().prefixes().map_err(internal)?;
        match writer.store().update(update, &prefixes) {
            Ok(()) => {}
            Err(StoreError::Syntax(error)) => {
                return Err((
                    StatusCode::BAD_REQUEST,
                    format!("SPARQL syntax error: {error}"),
                ));
            }
            Err(error) => return Err(internal(error)),
        }
        writer.commit().map_err(internal)?;
        Ok(with_body(
            StatusCode::NO_CONTENT,
            "text/plain",
            Body::empty(),
        ))
    }
}

/// 406, with the formats that could hold the results.
fn not_acceptable(accept: &str, graph: bool) -> (StatusCode, String) {
    (
        StatusCode::NOT_ACCEPTABLE,
        format!(
            "none of `{accept}` can hold these results: {}",
            if graph {
                "text/turtle, application/n-triples, application/ld+json, application/rdf+xml"
            } else {
                "application/sparql-results+json, application/sparql-results+xml, text/csv, text/tab-separated-values"
            }
        ),
    )
}

fn internal(error: impl std::fmt::Display) -> (StatusCode, String) {
    (StatusCode::INTERNAL_SERVER_ERROR, error.to_string())
}

fn with_body(status: StatusCode, media_type: &str, body: Body) -> Response<Body> {
    let mut response = Response::builder().status(status);
    if !media_type.is_empty() {
        response = response.header(header::CONTENT_TYPE, media_type);
    }
    response.body(body).expect("a valid response")
}

fn plain(status: StatusCode, message: String) -> Response<Body> {
    with_body(
        status,
        "text/plain; charset=utf-8",
        Body::from(format!("{message}\n")),
    )
}

/// The request's media type, without parameters, lower-cased.
fn content_type(request: &Request<Body>) -> String {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(|value| value.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

fn read_body(request: &mut Request<Body>) -> Result<String, (StatusCode, String)> {
    let mut body = String::new();
    std::io::Read::read_to_string(
        &mut std::io::Read::take(request.body_mut(), MAX_BODY),
        &mut body,
    )
    .map_err(|error| {
        (
            StatusCode::BAD_REQUEST,
            format!("cannot read the request: {error}"),
        )
    })?;
    Ok(body)
}

/// `application/x-www-form-urlencoded` pairs (also a URL's query string).
fn form(text: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(text.as_bytes())
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect()
}

fn value(form: &[(String, String)], name: &str) -> Option<String> {
    form.iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.clone())
}
