"""The Python `re` baseline of issue 10, item 3: the same rules as kgrep's
(`kgrep debug regex -r RULES`: one ordinary regular expression a rule, no
constraints, no templates) run sentence by sentence over a document, each
match's text and span collected as a fact would be. Prints the matches found.

Usage: python3 bench/re_baseline.py REGEXES.txt DOCUMENT
"""

import re
import sys

SENTENCE_END = re.compile(r"(?<=[。！？!?])|\n")


def main() -> None:
    # regex-syntax writes the end of the text as \z; Python's re writes \Z.
    lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
    patterns = [re.compile(line.replace(r"\z", r"\Z")) for line in lines if line.strip()]
    text = open(sys.argv[2], encoding="utf-8").read()
    found = []
    for sentence in SENTENCE_END.split(text):
        if not sentence:
            continue
        for pattern in patterns:
            for match in pattern.finditer(sentence):
                found.append((match.start(), match.end(), match.group(0)))
    print(len(found))


if __name__ == "__main__":
    main()
