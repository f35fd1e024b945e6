//! The graph analyses both front ends run (`kgrep graph`, the REPL's `.path`,
//! `.neighbors`, `.components`, `.rank`, `.dot`): named, computed on the
//! petgraph projection, and written as text, tables or DOT.

use std::collections::HashSet;
use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

use anstyle::AnsiColor;
use anyhow::{Context, Result, bail};
use clap::{Subcommand, ValueEnum};
use oxigraph::model::vocab::xsd;
use oxigraph::model::{Literal, NamedNode, Triple};

use super::rules::shorten;
use super::table::{Layout, write_table};
use super::{Outcome, Output};
use kgrep::graph::EntityGraph;
use kgrep::store::GraphStore;
pub use kgrep::vocab::ANALYTICS_GRAPH;

/// The analyses.
#[derive(Debug, Subcommand)]
pub enum GraphCommand {
    /// A shortest path between two entities, with the sentence behind each edge.
    Path {
        /// Where the path starts.
        from: String,
        /// Where it ends.
        to: String,
        /// Follow edges in either direction.
        #[arg(long)]
        undirected: bool,
    },
    /// The entities within k edges of one (either direction unless --directed).
    Neighbors {
        /// The entity.
        entity: String,
        /// How many edges away.
        #[arg(short, default_value_t = 1)]
        k: usize,
        /// Follow edges forwards only.
        #[arg(long)]
        directed: bool,
    },
    /// Connected components: their sizes, and the members of the largest.
    Components {
        /// How many component sizes to list.
        #[arg(long, default_value_t = 10)]
        top: usize,
    },
    /// Rank entities by degree or PageRank.
    Rank {
        /// The measure.
        #[arg(long, value_enum, default_value_t = Measure::Pagerank)]
        by: Measure,
        /// How many to show.
        #[arg(long, default_value_t = 10)]
        top: usize,
        /// Only entities of this class (IRI or prefixed name).
        #[arg(long)]
        class: Option<String>,
        /// Also store every entity's rank and degree in the graph
        /// <urn:kgrep:analytics> (kgrep:pageRank, kgrep:degree), for SPARQL.
        #[arg(long)]
        save: bool,
    },
    /// A DOT picture of a neighbourhood, a path, or the whole graph.
    Dot {
        /// The centre of the neighbourhood (omit with --all or --path).
        entity: Option<String>,
        /// Neighbourhood radius.
        #[arg(short, default_value_t = 1)]
        k: usize,
        /// Draw the shortest path between two entities instead.
        #[arg(long, num_args = 2, value_names = ["FROM", "TO"])]
        path: Option<Vec<String>>,
        /// Draw the whole graph.
        #[arg(long)]
        all: bool,
        /// Render to SVG with Graphviz's `dot`.
        #[arg(long, value_name = "FILE")]
        svg: Option<PathBuf>,
        /// Render to PNG with Graphviz's `dot`.
        #[arg(long, value_name = "FILE")]
        png: Option<PathBuf>,
    },
}

/// Ranking measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Measure {
    /// Edges in and out.
    Degree,
    /// PageRank (damping 0.85).
    Pagerank,
}

/// Runs one analysis on `graph` (projected from `store`), writing to `out`
/// (shared with the REPL's `.path`, `.neighbors`, `.components`, `.rank`, `.dot`).
pub fn analyse(
    store: &GraphStore,
    graph: &EntityGraph,
    prefixes: &[(String, String)],
    command: &GraphCommand,
    output: &Output,
    layout: &Layout,
    out: &mut dyn Write,
) -> Result<Outcome> {
    let short = |iri: &str| shorten(&format!("<{iri}>"), prefixes);
    let name = |node: petgraph::graph::NodeIndex| {
        let entity = &graph.graph[node];
        entity.labels.first().map_or_else(
            || short(&entity.iri),
            |label| format!("{label} ({})", short(&entity.iri)),
        )
    };
    let find = |text: &str| graph.find(text, prefixes).map_err(anyhow::Error::from);
    match command {
        GraphCommand::Path {
            from,
            to,
            undirected,
        } => {
            let (start, end) = (find(from)?, find(to)?);
            let Some(steps) = graph.shortest_path(start, end, !undirected) else {
                let hint = if *undirected {
                    ""
                } else {
                    " (try --undirected)"
                };
                output.error(&format!(
                    "no path from {} to {}{hint}",
                    name(start),
                    name(end)
                ));
                return Ok(Outcome::Problems);
            };
            writeln!(out, "{}", name(start))?;
            for step in steps {
                let (source, target) = graph.graph.edge_endpoints(step.edge).expect("edge");
                let predicate = &graph.graph[step.edge];
                let (arrow, next) = if step.backwards {
                    ("<-", source)
                } else {
                    ("->", target)
                };
                writeln!(out, "  {arrow} {} {arrow} {}", short(predicate), name(next))?;
                let triple = Triple::new(
                    NamedNode::new_unchecked(&graph.graph[source].iri),
                    NamedNode::new_unchecked(predicate),
                    NamedNode::new_unchecked(&graph.graph[target].iri),
                );
                if let Some((document, sentence, text)) = store.support(&triple)? {
                    writeln!(out, "       \"{text}\" ({document}, sentence {sentence})")?;
                }
            }
        }
        GraphCommand::Neighbors {
            entity,
            k,
            directed,
        } => {
            let center = find(entity)?;
            let rows: Vec<Vec<String>> = graph
                .neighborhood(center, *k, *directed)
                .into_iter()
                .map(|(node, distance)| {
                    vec![
                        distance.to_string(),
                        name(node),
                        graph.graph[node]
                            .classes
                            .iter()
                            .map(|c| short(c))
                            .collect::<Vec<_>>()
                            .join(" "),
                    ]
                })
                .collect();
            write_table(
                out,
                &["hops".into(), "entity".into(), "class".into()],
                &rows,
                layout,
            )?;
        }
        GraphCommand::Components { top } => {
            let components = graph.components();
            let (nodes, edges) = graph.size();
            writeln!(
                out,
                "{nodes} entities, {edges} edges, {} components",
                components.len()
            )?;
            let rows: Vec<Vec<String>> = components
                .iter()
                .take(*top)
                .enumerate()
                .map(|(i, c)| vec![(i + 1).to_string(), c.len().to_string()])
                .collect();
            write_table(out, &["component".into(), "entities".into()], &rows, layout)?;
            if let Some(largest) = components.first() {
                writeln!(
                    out,
                    "the largest: {}",
                    largest
                        .iter()
                        .map(|&n| name(n))
                        .collect::<Vec<_>>()
                        .join(", ")
                )?;
            }
        }
        GraphCommand::Rank {
            by,
            top,
            class,
            save,
        } => {
            let degrees = graph.degrees();
            let ranks = graph.page_rank(0.85, 100);
            // Ties in IRI order, whatever order the store listed the facts in.
            let by_iri = |a: &petgraph::graph::NodeIndex, b: &petgraph::graph::NodeIndex| {
                graph.graph[*a].iri.cmp(&graph.graph[*b].iri)
            };
            let class = class.as_deref().map(|c| expand(c, prefixes));
            let mut nodes: Vec<petgraph::graph::NodeIndex> = graph
                .graph
                .node_indices()
                .filter(|&n| {
                    class
                        .as_ref()
                        .is_none_or(|c| graph.graph[n].classes.iter().any(|k| k == c))
                })
                .collect();
            match by {
                Measure::Degree => nodes.sort_by(|a, b| {
                    degrees[b.index()]
                        .cmp(&degrees[a.index()])
                        .then_with(|| by_iri(a, b))
                }),
                Measure::Pagerank => nodes.sort_by(|a, b| {
                    ranks[b.index()]
                        .total_cmp(&ranks[a.index()])
                        .then_with(|| by_iri(a, b))
                }),
            }
            let rows: Vec<Vec<String>> = nodes
                .iter()
                .take(*top)
                .enumerate()
                .map(|(i, &n)| {
                    vec![
                        (i + 1).to_string(),
                        name(n),
                        degrees[n.index()].to_string(),
                        format!("{:.6}", ranks[n.index()]),
                    ]
                })
                .collect();
            write_table(
                out,
                &[
                    "#".into(),
                    "entity".into(),
                    "degree".into(),
                    "pagerank".into(),
                ],
                &rows,
                layout,
            )?;
            if *save {
                let vocab =
                    |local: &str| NamedNode::new_unchecked(format!("{}{local}", kgrep::vocab::NS));
                let triples: Vec<Triple> = graph
                    .graph
                    .node_indices()
                    .flat_map(|n| {
                        let node = NamedNode::new_unchecked(&graph.graph[n].iri);
                        [
                            Triple::new(
                                node.clone(),
                                vocab("pageRank"),
                                Literal::new_typed_literal(
                                    ranks[n.index()].to_string(),
                                    xsd::DOUBLE,
                                ),
                            ),
                            Triple::new(
                                node,
                                vocab("degree"),
                                Literal::new_typed_literal(
                                    degrees[n.index()].to_string(),
                                    xsd::INTEGER,
                                ),
                            ),
                        ]
                    })
                    .collect();
                store.replace_graph(&NamedNode::new_unchecked(ANALYTICS_GRAPH), &triples)?;
                out.flush()?;
                output.status(
                    "saved",
                    AnsiColor::Green,
                    &format!(
                        "ranks of {} entities in <{ANALYTICS_GRAPH}>",
                        graph.graph.node_count()
                    ),
                );
            }
        }
        GraphCommand::Dot {
            entity,
            k,
            path,
            all,
            svg,
            png,
        } => {
            let nodes: Option<HashSet<petgraph::graph::NodeIndex>> = if *all {
                None
            } else if let Some(ends) = path {
                let (start, end) = (find(&ends[0])?, find(&ends[1])?);
                let steps = graph
                    .shortest_path(start, end, false)
                    .with_context(|| format!("no path from {} to {}", ends[0], ends[1]))?;
                let mut set = HashSet::from([start]);
                for step in steps {
                    let (a, b) = graph.graph.edge_endpoints(step.edge).expect("edge");
                    set.extend([a, b]);
                }
                Some(set)
            } else if let Some(entity) = entity {
                Some(
                    graph
                        .neighborhood(find(entity)?, *k, false)
                        .into_iter()
                        .map(|(n, _)| n)
                        .collect(),
                )
            } else {
                bail!("say what to draw: an entity (with -k), --path FROM TO, or --all");
            };
            let dot = graph.to_dot(nodes.as_ref(), &|term| shorten(term, prefixes));
            match (svg, png) {
                (None, None) => out.write_all(dot.as_bytes())?,
                (Some(file), _) | (None, Some(file)) => {
                    let format = if svg.is_some() { "-Tsvg" } else { "-Tpng" };
                    render(&dot, format, file)?;
                    out.flush()?;
                    output.status("drew", AnsiColor::Green, &format!("`{}`", file.display()));
                }
            }
        }
    }
    Ok(Outcome::Success)
}

/// A prefixed name or IRI as a full IRI.
fn expand(name: &str, prefixes: &[(String, String)]) -> String {
    let bare = name.trim_start_matches('<').trim_end_matches('>');
    if let Some((prefix, local)) = bare.split_once(':')
        && let Some((_, namespace)) = prefixes.iter().find(|(p, _)| p == prefix)
    {
        return format!("{namespace}{local}");
    }
    bare.to_owned()
}

/// Renders DOT with Graphviz.
fn render(dot: &str, format: &str, file: &std::path::Path) -> Result<()> {
    let mut child = match Command::new("dot")
        .arg(format)
        .arg("-o")
        .arg(file)
        .stdin(std::process::Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            bail!(
                "Graphviz's `dot` is not installed (Debian: apt-get install graphviz); without --svg/--png the DOT text goes to stdout"
            )
        }
        Err(error) => return Err(error).context("cannot run `dot`"),
    };
    child
        .stdin
        .take()
        .context("dot's stdin")?
        .write_all(dot.as_bytes())?;
    let status = child.wait()?;
    if !status.success() {
        bail!("`dot` failed ({status})");
    }
    Ok(())
}
