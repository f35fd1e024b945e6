//! The dot-commands, in the spirit of sqlite3 and psql.

/// A dot-command: its name, its arguments, what it does.
pub struct CommandInfo {
    /// The name, without the dot.
    pub name: &'static str,
    /// Its arguments.
    pub usage: &'static str,
    /// One line of help.
    pub help: &'static str,
}

/// Every dot-command.
pub const COMMANDS: &[CommandInfo] = &[
    CommandInfo {
        name: "help",
        usage: "[COMMAND]",
        help: "list the commands, or explain one",
    },
    CommandInfo {
        name: "mode",
        usage: "table|csv|tsv|json|xml|turtle|ntriples",
        help: "how results are printed",
    },
    CommandInfo {
        name: "timer",
        usage: "on|off",
        help: "print how long each statement took",
    },
    CommandInfo {
        name: "maxrows",
        usage: "N",
        help: "show at most N rows in tables (0: all)",
    },
    CommandInfo {
        name: "output",
        usage: "[FILE]",
        help: "send results to FILE; without FILE, back to the screen",
    },
    CommandInfo {
        name: "read",
        usage: "FILE",
        help: "run the statements and commands in FILE",
    },
    CommandInfo {
        name: "prefix",
        usage: "p: <iri>",
        help: "declare a prefix for the following queries",
    },
    CommandInfo {
        name: "prefixes",
        usage: "",
        help: "list the declared prefixes",
    },
    CommandInfo {
        name: "rules",
        usage: "FILE...",
        help: "use these rule files for .load and .try",
    },
    CommandInfo {
        name: "reload",
        usage: "",
        help: "recompile the rule files; re-extract loaded documents and say what changed",
    },
    CommandInfo {
        name: "load",
        usage: "DOC...",
        help: "extract documents with the current rules and load them",
    },
    CommandInfo {
        name: "try",
        usage: "TEXT",
        help: "run the current rules on TEXT: matches, captures, triples",
    },
    CommandInfo {
        name: "why",
        usage: "TERM",
        help: "where the facts about TERM came from: document, sentence, rule, text",
    },
    CommandInfo {
        name: "stats",
        usage: "",
        help: "triples, documents, entities per class, facts per rule",
    },
    CommandInfo {
        name: "graphs",
        usage: "",
        help: "the named graphs and their sizes",
    },
    CommandInfo {
        name: "export",
        usage: "FILE [FORMAT]",
        help: "write the store (format from the extension, or given)",
    },
    CommandInfo {
        name: "path",
        usage: "A B",
        help: "a shortest path between two entities (either direction)",
    },
    CommandInfo {
        name: "neighbors",
        usage: "X [K]",
        help: "the entities within K edges of X (default 1)",
    },
    CommandInfo {
        name: "components",
        usage: "",
        help: "connected components of the entity graph",
    },
    CommandInfo {
        name: "rank",
        usage: "[degree|pagerank] [N]",
        help: "the top N entities (default pagerank, 10)",
    },
    CommandInfo {
        name: "dot",
        usage: "X [K] [FILE.svg|FILE.png]",
        help: "a DOT picture of X's neighbourhood",
    },
    CommandInfo {
        name: "quit",
        usage: "",
        help: "leave (Ctrl-D does too)",
    },
];

/// The command called `name`, if any.
pub fn find(name: &str) -> Option<&'static CommandInfo> {
    COMMANDS.iter().find(|c| c.name == name)
}

/// The nearest command name, for "did you mean".
pub fn nearest(name: &str) -> Option<&'static str> {
    kgrep::diagnostic::did_you_mean(name, COMMANDS.iter().map(|c| c.name))
}
