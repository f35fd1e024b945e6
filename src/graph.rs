//! The entity graph: facts projected into petgraph for paths, neighbourhoods,
//! components, rankings, and DOT pictures.
//!
//! Nodes are IRIs; an edge is a triple whose object is an IRI (an object
//! property), labelled by its predicate; `rdf:type` becomes the node's
//! classes, `rdfs:label` its label, other literals its attributes. Provenance
//! is not part of the graph (the store hands over facts only).

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt::Write as _;

use oxrdf::vocab::{rdf, rdfs};
use oxrdf::{NamedOrBlankNode, Term, Triple};
use petgraph::Direction;
use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};
use petgraph::unionfind::UnionFind;
use petgraph::visit::EdgeRef;

/// A node: an entity.
#[derive(Clone, Debug, Default)]
pub struct Entity {
    /// Its IRI.
    pub iri: String,
    /// Its `rdfs:label`s.
    pub labels: Vec<String>,
    /// Its classes (`rdf:type`).
    pub classes: Vec<String>,
    /// Its literal-valued properties: predicate IRI and the literal as N-Triples.
    pub attributes: Vec<(String, String)>,
}

/// The entity graph.
#[derive(Debug, Default)]
pub struct EntityGraph {
    /// The petgraph graph: entities and predicate-labelled edges.
    pub graph: DiGraph<Entity, String>,
    by_iri: HashMap<String, NodeIndex>,
}

/// Why an entity could not be named.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum LookupError {
    /// No entity has this IRI or label.
    #[error("no entity is called `{0}` (give an IRI, a prefixed name or a label)")]
    NotFound(String),
    /// Several entities have this label.
    #[error("`{name}` is the label of {} entities: {}; name one by its IRI", .candidates.len(), .candidates.join(", "))]
    Ambiguous {
        /// The label.
        name: String,
        /// The IRIs that have it.
        candidates: Vec<String>,
    },
}

/// One step of a path: the edge taken and whether it was taken against its direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    /// The edge.
    pub edge: EdgeIndex,
    /// Whether the path walks it from its target to its source.
    pub backwards: bool,
}

impl EntityGraph {
    /// Projects `triples` (facts, no provenance).
    pub fn from_triples(triples: impl IntoIterator<Item = Triple>) -> EntityGraph {
        let mut projection = EntityGraph::default();
        let mut edges = HashSet::new();
        for triple in triples {
            let NamedOrBlankNode::NamedNode(subject) = &triple.subject else {
                continue;
            };
            let node = projection.node(subject.as_str());
            match &triple.object {
                Term::NamedNode(object) if triple.predicate == rdf::TYPE => {
                    let classes = &mut projection.graph[node].classes;
                    if !classes.iter().any(|c| c == object.as_str()) {
                        classes.push(object.as_str().to_owned());
                    }
                }
                Term::NamedNode(object) => {
                    let target = projection.node(object.as_str());
                    if edges.insert((node, target, triple.predicate.as_str().to_owned())) {
                        projection.graph.add_edge(
                            node,
                            target,
                            triple.predicate.as_str().to_owned(),
                        );
                    }
                }
                Term::Literal(literal) if triple.predicate == rdfs::LABEL => {
                    let labels = &mut projection.graph[node].labels;
                    if !labels.iter().any(|l| l == literal.value()) {
                        labels.push(literal.value().to_owned());
                    }
                }
                Term::Literal(literal) => {
                    projection.graph[node]
                        .attributes
                        .push((triple.predicate.as_str().to_owned(), literal.to_string()));
                }
                _ => {}
            }
        }
        projection
    }

    fn node(&mut self, iri: &str) -> NodeIndex {
        if let Some(&index) = self.by_iri.get(iri) {
            return index;
        }
        let index = self.graph.add_node(Entity {
            iri: iri.to_owned(),
            ..Entity::default()
        });
        self.by_iri.insert(iri.to_owned(), index);
        index
    }

    /// How many entities and edges.
    pub fn size(&self) -> (usize, usize) {
        (self.graph.node_count(), self.graph.edge_count())
    }

    /// The entity named `name`: an IRI (`<…>` or bare), a prefixed name, or a label.
    pub fn find(
        &self,
        name: &str,
        prefixes: &[(String, String)],
    ) -> Result<NodeIndex, LookupError> {
        let bare = name.trim().trim_start_matches('<').trim_end_matches('>');
        if let Some(&index) = self.by_iri.get(bare) {
            return Ok(index);
        }
        if let Some((prefix, local)) = name.split_once(':')
            && let Some((_, namespace)) = prefixes.iter().find(|(p, _)| p == prefix)
            && let Some(&index) = self.by_iri.get(&format!("{namespace}{local}"))
        {
            return Ok(index);
        }
        let matching: Vec<NodeIndex> = self
            .graph
            .node_indices()
            .filter(|&index| self.graph[index].labels.iter().any(|l| l == name))
            .collect();
        match matching.as_slice() {
            [] => Err(LookupError::NotFound(name.to_owned())),
            [one] => Ok(*one),
            many => Err(LookupError::Ambiguous {
                name: name.to_owned(),
                candidates: many
                    .iter()
                    .map(|&index| self.graph[index].iri.clone())
                    .collect(),
            }),
        }
    }

    /// A shortest path from `from` to `to` (fewest edges), following edge
    /// directions when `directed`; `None` when there is none.
    pub fn shortest_path(
        &self,
        from: NodeIndex,
        to: NodeIndex,
        directed: bool,
    ) -> Option<Vec<Step>> {
        let mut previous: HashMap<NodeIndex, (NodeIndex, Step)> = HashMap::new();
        let mut seen = HashSet::from([from]);
        let mut queue = VecDeque::from([from]);
        while let Some(node) = queue.pop_front() {
            if node == to {
                let mut steps = Vec::new();
                let mut at = to;
                while at != from {
                    let (before, step) = previous[&at];
                    steps.push(step);
                    at = before;
                }
                steps.reverse();
                return Some(steps);
            }
            for (next, step) in self.steps(node, directed) {
                if seen.insert(next) {
                    previous.insert(next, (node, step));
                    queue.push_back(next);
                }
            }
        }
        None
    }

    /// The nodes one edge away from `node`, and the step to each.
    fn steps(&self, node: NodeIndex, directed: bool) -> Vec<(NodeIndex, Step)> {
        let mut steps: Vec<(NodeIndex, Step)> = self
            .graph
            .edges_directed(node, Direction::Outgoing)
            .map(|e| {
                (
                    e.target(),
                    Step {
                        edge: e.id(),
                        backwards: false,
                    },
                )
            })
            .collect();
        if !directed {
            steps.extend(
                self.graph
                    .edges_directed(node, Direction::Incoming)
                    .map(|e| {
                        (
                            e.source(),
                            Step {
                                edge: e.id(),
                                backwards: true,
                            },
                        )
                    }),
            );
        }
        steps
    }

    /// Every node within `hops` edges of `center` (either direction unless
    /// `directed`), with its distance, nearest first.
    pub fn neighborhood(
        &self,
        center: NodeIndex,
        hops: usize,
        directed: bool,
    ) -> Vec<(NodeIndex, usize)> {
        let mut distance = HashMap::from([(center, 0)]);
        let mut order = vec![(center, 0)];
        let mut queue = VecDeque::from([center]);
        while let Some(node) = queue.pop_front() {
            let here = distance[&node];
            if here == hops {
                continue;
            }
            for (next, _) in self.steps(node, directed) {
                if let std::collections::hash_map::Entry::Vacant(entry) = distance.entry(next) {
                    entry.insert(here + 1);
                    order.push((next, here + 1));
                    queue.push_back(next);
                }
            }
        }
        order
    }

    /// The weakly connected components, largest first.
    pub fn components(&self) -> Vec<Vec<NodeIndex>> {
        let mut sets = UnionFind::new(self.graph.node_count());
        for edge in self.graph.edge_references() {
            sets.union(edge.source().index(), edge.target().index());
        }
        let mut groups: HashMap<usize, Vec<NodeIndex>> = HashMap::new();
        for node in self.graph.node_indices() {
            groups
                .entry(sets.find(node.index()))
                .or_default()
                .push(node);
        }
        let mut components: Vec<Vec<NodeIndex>> = groups.into_values().collect();
        components.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a[0].cmp(&b[0])));
        components
    }

    /// Each node's degree (edges in and out).
    pub fn degrees(&self) -> Vec<usize> {
        self.graph
            .node_indices()
            .map(|node| {
                self.graph.edges_directed(node, Direction::Outgoing).count()
                    + self.graph.edges_directed(node, Direction::Incoming).count()
            })
            .collect()
    }

    /// PageRank by power iteration, as networkx computes it: damping
    /// `damping`, a dangling node's rank spread over every node, stop when
    /// the change is below `1e-6 × nodes` or after `max_iterations`. Linear in
    /// the edges per iteration.
    pub fn page_rank(&self, damping: f64, max_iterations: usize) -> Vec<f64> {
        let count = self.graph.node_count();
        if count == 0 {
            return Vec::new();
        }
        let n = count as f64;
        let out_degree: Vec<f64> = self
            .graph
            .node_indices()
            .map(|node| self.graph.edges_directed(node, Direction::Outgoing).count() as f64)
            .collect();
        let mut rank = vec![1.0 / n; count];
        for _ in 0..max_iterations {
            let dangling: f64 = (0..count)
                .filter(|&i| out_degree[i] == 0.0)
                .map(|i| rank[i])
                .sum();
            let base = (1.0 - damping) / n + damping * dangling / n;
            let mut next = vec![base; count];
            for edge in self.graph.edge_references() {
                let source = edge.source().index();
                next[edge.target().index()] += damping * rank[source] / out_degree[source];
            }
            let change: f64 = next.iter().zip(&rank).map(|(a, b)| (a - b).abs()).sum();
            rank = next;
            if change < 1e-6 * n {
                break;
            }
        }
        rank
    }

    /// A DOT picture of `nodes` (all when `None`) and the edges between them:
    /// labels for names, a colour per class.
    pub fn to_dot(
        &self,
        nodes: Option<&HashSet<NodeIndex>>,
        short: &dyn Fn(&str) -> String,
    ) -> String {
        const PALETTE: &[&str] = &[
            "#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462", "#b3de69", "#fccde5",
            "#d9d9d9", "#bc80bd",
        ];
        let mut classes: Vec<&str> = self
            .graph
            .node_weights()
            .filter_map(|e| e.classes.first().map(String::as_str))
            .collect();
        classes.sort_unstable();
        classes.dedup();
        let included = |node: NodeIndex| nodes.is_none_or(|set| set.contains(&node));
        let mut out = String::from(
            "digraph kgrep {\n  graph [rankdir=LR, fontname=\"Noto Sans CJK SC\"];\n  node [shape=box, style=\"rounded,filled\", fontname=\"Noto Sans CJK SC\"];\n  edge [fontname=\"Noto Sans CJK SC\", fontsize=10];\n",
        );
        for node in self.graph.node_indices().filter(|&n| included(n)) {
            let entity = &self.graph[node];
            let label = entity
                .labels
                .first()
                .cloned()
                .unwrap_or_else(|| short(&format!("<{}>", entity.iri)));
            let colour = entity
                .classes
                .first()
                .and_then(|c| classes.iter().position(|k| k == c))
                .map_or("#ffffff", |i| PALETTE[i % PALETTE.len()]);
            let class = entity
                .classes
                .first()
                .map(|c| short(&format!("<{c}>")))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  n{} [label=\"{}\", tooltip=\"{}\", fillcolor=\"{colour}\"];",
                node.index(),
                dot_escape(&label),
                dot_escape(&format!("{} {class}", entity.iri))
            );
        }
        for edge in self
            .graph
            .edge_references()
            .filter(|e| included(e.source()) && included(e.target()))
        {
            let _ = writeln!(
                out,
                "  n{} -> n{} [label=\"{}\"];",
                edge.source().index(),
                edge.target().index(),
                dot_escape(&short(&format!("<{}>", edge.weight())))
            );
        }
        out.push_str("}\n");
        out
    }
}

fn dot_escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxrdf::{Literal, NamedNode};

    fn iri(local: &str) -> NamedNode {
        NamedNode::new_unchecked(format!("http://e/{local}"))
    }

    fn graph(edges: &[(&str, &str)]) -> EntityGraph {
        let triples = edges
            .iter()
            .map(|(s, o)| Triple::new(iri(s), iri("p"), iri(o)));
        EntityGraph::from_triples(triples)
    }

    #[test]
    fn paths_directed_and_undirected() {
        let g = graph(&[("org", "team"), ("team", "hospital"), ("other", "hospital")]);
        let find = |name: &str| g.find(&format!("http://e/{name}"), &[]).unwrap();
        assert_eq!(
            g.shortest_path(find("org"), find("hospital"), true)
                .unwrap()
                .len(),
            2
        );
        assert!(g.shortest_path(find("org"), find("other"), true).is_none());
        let path = g.shortest_path(find("org"), find("other"), false).unwrap();
        assert_eq!(path.len(), 3);
        assert!(path[2].backwards);
    }

    #[test]
    fn neighborhoods_and_components() {
        let g = graph(&[("a", "b"), ("b", "c"), ("c", "d"), ("x", "y")]);
        let a = g.find("<http://e/a>", &[]).unwrap();
        assert_eq!(g.neighborhood(a, 2, false).len(), 3);
        let sizes: Vec<usize> = g.components().iter().map(Vec::len).collect();
        assert_eq!(sizes, [4, 2]);
    }

    #[test]
    fn page_rank_of_a_small_graph_by_hand() {
        // A cycle: every node has the same rank.
        let g = graph(&[("a", "b"), ("b", "c"), ("c", "a")]);
        for rank in g.page_rank(0.85, 100) {
            assert!((rank - 1.0 / 3.0).abs() < 1e-9);
        }
        // a -> b, b dangling: networkx.pagerank gives a = 0.350877, b = 0.649123.
        let g = graph(&[("a", "b")]);
        let ranks = g.page_rank(0.85, 100);
        assert!(
            (ranks[0] - 0.350877).abs() < 1e-5 && (ranks[1] - 0.649123).abs() < 1e-5,
            "{ranks:?}"
        );
    }

    #[test]
    fn labels_name_entities_and_ambiguity_is_an_error() {
        let triples = vec![
            Triple::new(
                iri("a"),
                rdfs::LABEL,
                Literal::new_simple_literal("雷神山医院"),
            ),
            Triple::new(iri("b"), rdfs::LABEL, Literal::new_simple_literal("医院")),
            Triple::new(iri("c"), rdfs::LABEL, Literal::new_simple_literal("医院")),
        ];
        let g = EntityGraph::from_triples(triples);
        assert!(g.find("雷神山医院", &[]).is_ok());
        assert!(matches!(
            g.find("医院", &[]),
            Err(LookupError::Ambiguous { .. })
        ));
        assert!(g.find("ex:a", &[("ex".into(), "http://e/".into())]).is_ok());
    }
}
