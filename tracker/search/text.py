"""How text becomes searchable: one normal form for the index, the query and the highlighter.

Every name and text is reduced to lower-case ASCII words before it is stored or
searched, so the engines underneath compare plain tokens:

- `anyascii` transliterates every script (Cyrillic by the BGN/PCGN-style table it
  documents) and drops accents: "Алексей Навальный" becomes "aleksey navalnyy",
  "Alcántara" becomes "alcantara".
- Apostrophes vanish inside words ("Naval'nyy" is one word); any other
  punctuation splits words, and the joined form is kept too, so "275.1", "275 1"
  and "2751", or "129-FZ" and "129FZ", find each other.
- British and American spellings (organisation/organization, -ise/-ize,
  -our/-or, defence/defense, centre/center), a few plurals ("foreign agents",
  "undesirable organisations", "NGOs") and synonyms ("non-governmental
  organisation" = "NGO") are folded to one form by `canonical()` and
  `fold_phrases()`, inside `ascii_words()` and before any text is split, so the
  index, the query and the highlighter all see the same word. Changing these
  rules changes what is stored: rebuild the index (`rebuild_search_index`; a
  migration does it on deploy, see tracker/migrations/0012_*).
- `skeleton()` folds the spellings that romanisations of Russian disagree on
  (y/i/j, kh/h, ts/tz/ch, x/ks, doubled letters, ...), so "Navalny", "Navalnyi"
  and "Навальный" share the key "navalni". Keys only widen the match; exact
  forms still rank first.
"""

import html
import re
from dataclasses import dataclass, replace
from functools import lru_cache

from anyascii import anyascii
from django.utils.html import format_html
from django.utils.safestring import mark_safe

MAX_TERMS = 10
APOSTROPHES = re.compile(r"['`\"]")
ASCII_WORD = re.compile(r"[a-z0-9]+")
# A word in the original text, with the punctuation that joins its parts: "275.1", "129-FZ".
TEXT_WORD = re.compile(r"\w+(?:['’ʼ.\-/]\w+)*")
QUERY_PART = re.compile(r'"([^"]*)"|(\S+)')

# Spelling variants of romanised Russian, folded in this order (longest first).
SKELETON_RULES = (
    ("shch", "sc"),
    ("sch", "sc"),
    ("kh", "h"),
    ("zh", "z"),
    ("tch", "c"),
    ("ch", "c"),
    ("ts", "c"),
    ("tz", "c"),
    ("x", "ks"),
    ("w", "v"),
    ("y", "i"),
    ("j", "i"),
)
DOUBLED = re.compile(r"(.)\1+")
# Words left out of initials: "Foundation for the Defence of Rights" gives "fdr" and "fftdor".
MINOR_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "at",
        "by",
        "de",
        "der",
        "des",
        "du",
        "for",
        "in",
        "la",
        "le",
        "of",
        "on",
        "or",
        "the",
        "to",
        "und",
        "von",
        "za",
    ]
)


# American -ize/-yze forms become British -ise/-yse: "organization(s)", "criminalized".
IZE = re.compile(r"(?<=[a-z]{2})([iy])z(e|es|ed|ing|ation|ations|er|ers)$")
# -or/-our, only for these stems: "four", "tour" or "your" must not lose their "u".
OUR = re.compile(
    r"^(behavi|col|fav|hon|lab|neighb|harb|rum|hum|vig|endeav|flav|arm|val|clam|rig|savi|od"
    r"|parl|vap|tum|ranc|ferv|ard|cand|splend)o(?:u)?r(s|ed|ing|ite|ites|able|ably|er|ers)?$"
)
# One form for words spelt differently on either side of the Atlantic, and for the plurals
# and synonyms readers use for the same thing.
CANONICAL = {
    "defense": "defence",
    "defenses": "defences",
    "offense": "offence",
    "offenses": "offences",
    "license": "licence",
    "licenses": "licences",
    "center": "centre",
    "centers": "centres",
    "theater": "theatre",
    "program": "programme",
    "programs": "programmes",
    "judgment": "judgement",
    "agents": "agent",
    "organisations": "organisation",
    "ngos": "ngo",
    "laws": "law",
}
# Synonyms of several words, folded before the text is split into words.
PHRASES = ((re.compile(r"\bnon[\s\-]*governmental\s+organi[sz]ations?\b", re.I), "NGO"),)


def canonical(word):
    """One lower-case ASCII word in its folded form: "organizations" -> "organisation"."""
    word = IZE.sub(r"\1s\2", word)
    word = OUR.sub(r"\1our\2", word)
    return CANONICAL.get(word, word)


def fold_phrases(text):
    """The text with multi-word synonyms replaced by their one-word form ("NGO")."""
    for pattern, replacement in PHRASES:
        text = pattern.sub(replacement, text)
    return text


@lru_cache(maxsize=4096)
def ascii_words(text):
    """The lower-case ASCII parts of one word of text: "Naval'nyy" -> ["navalnyy"]."""
    found = ASCII_WORD.findall(APOSTROPHES.sub("", anyascii(text).lower()))
    return [canonical(word) for word in found]


@lru_cache(maxsize=8192)
def skeleton(token):
    """A spelling-tolerant key for one ASCII token: "navalnyy" and "navalny" -> "navalni"."""
    key = token
    for old, new in SKELETON_RULES:
        key = key.replace(old, new)
    key = DOUBLED.sub(r"\1", key)
    key = key.replace("ie", "e").replace("io", "e")
    return DOUBLED.sub(r"\1", key)


def words(text):
    """Every ASCII part of every word: "Anti-Corruption (FBK)" -> anti, corruption, fbk."""
    return [
        part for chunk in TEXT_WORD.findall(fold_phrases(text or "")) for part in ascii_words(chunk)
    ]


def tokens(text):
    """The plain tokens of a text, with the joined form of each punctuated word."""
    out = []
    for chunk in TEXT_WORD.findall(fold_phrases(text or "")):
        parts = ascii_words(chunk)
        out.extend(parts)
        if len(parts) > 1:
            out.append("".join(parts))
    return out


def name_forms(name):
    """The whole-name forms an exact match is checked against: spaced, joined and folded."""
    parts = words(name)
    if not parts:
        return set()
    return {" ".join(parts), "".join(parts), " ".join(skeleton(part) for part in parts)}


def initials(name):
    """Acronyms a name may be searched by: "Human Rights Watch" -> {"hrw"}."""
    parts = words(name)
    if len(parts) < 2:
        return set()
    found = {"".join(part[0] for part in parts)}
    major = [part for part in parts if part not in MINOR_WORDS]
    if len(major) >= 2:
        found.add("".join(word[0] for word in major))
    return found


@dataclass(frozen=True)
class Term:
    """One thing the reader typed: a word (its parts) or a "quoted phrase"."""

    parts: tuple
    phrase: bool = False
    last: bool = False  # the word being typed: matched as a prefix

    @property
    def joined(self):
        return "".join(self.parts)

    @property
    def key(self):
        return skeleton(self.joined)

    @property
    def prefix(self):
        """Only the last word is a prefix ("amnes" finds Amnesty), and never a single character:
        prefixes of every word would make long queries merge huge lists of index entries."""
        return self.last and not self.phrase and len(self.joined) >= 2


def parse(query):
    """The terms of a query, at most MAX_TERMS. Quotes make a phrase; nothing else is syntax."""
    terms = []
    for match in QUERY_PART.finditer(fold_phrases(query or "")):
        quoted, word = match.groups()
        if quoted is not None:
            parts = tuple(words(quoted))
            if parts:
                terms.append(Term(parts, phrase=len(parts) > 1))
            continue
        for chunk in TEXT_WORD.findall(word):
            parts = tuple(ascii_words(chunk))
            if parts:
                terms.append(Term(parts))
    terms = list(dict.fromkeys(terms))[:MAX_TERMS]
    if terms:
        terms[-1] = replace(terms[-1], last=True)
    return terms


# Words that say what kind of record the reader wants: "undesirable organisations law",
# "law on foreign agents", "article 275.1". Only words that are rarely part of the name of
# another kind ("organisation" is part of a law's name, so it is not one of them).
KIND_WORDS = {
    "law": frozenset(["law", "act", "statute", "code", "article", "convention", "resolution"]),
    "case": frozenset(["case", "cases", "trial", "prosecution"]),
}


def named_kinds(terms):
    """The kinds of record the query names by a kind word, in the order they are typed."""
    found = []
    for term in terms:
        for part in term.parts:
            for kind, kind_words in KIND_WORDS.items():
                if part in kind_words and kind not in found:
                    found.append(kind)
    return found


def exact_forms(terms):
    """The query as a whole name, in the forms `name_forms` stores."""
    parts = [part for term in terms for part in term.parts]
    if not parts:
        return []
    return sorted({" ".join(parts), "".join(parts), " ".join(skeleton(p) for p in parts)})


def _word_matches(word, terms):
    parts = ascii_words(word)
    if not parts:
        return False
    joined = "".join(parts)
    for term in terms:
        if term.phrase:
            if any(part in term.parts for part in parts):
                return True
            continue
        candidates = [joined] if len(term.parts) > 1 else parts + [joined]
        for candidate in candidates:
            key = skeleton(candidate)
            if candidate == term.joined or key == term.key:
                return True
            if term.prefix and (candidate.startswith(term.joined) or key.startswith(term.key)):
                return True
    return False


@lru_cache(maxsize=64)
def _matcher(terms):
    """`_word_matches` for one query's terms, remembering each word's answer: a page of hits
    asks about the same words again and again."""
    known = {}

    def word_matches(word):
        found = known.get(word)
        if found is None:
            found = known[word] = _word_matches(word, terms)
        return found

    return word_matches


def highlight(text, terms):
    """The text, HTML-escaped, with the words the terms matched in <mark>.

    Built as one string (the same as `format_html` per piece, without its cost per piece).
    """
    text = text or ""
    pieces, position = [], 0
    word_matches = _matcher(tuple(terms))
    for match in TEXT_WORD.finditer(text):
        if word_matches(match.group()):
            pieces.append(html.escape(text[position : match.start()]))
            pieces.append(f"<mark>{html.escape(match.group())}</mark>")
            position = match.end()
    pieces.append(html.escape(text[position:]))
    return mark_safe("".join(pieces))  # noqa: S308 (every piece of text is escaped above)


def matches(text, terms):
    """Whether any word of the text matches the terms."""
    word_matches = _matcher(tuple(terms))
    return any(word_matches(word) for word in TEXT_WORD.findall(text or ""))


def snippet(text, terms, before=12, after=24):
    """A short excerpt around the first matched word, highlighted; '' when nothing matched."""
    text = " ".join((text or "").split())
    words = list(TEXT_WORD.finditer(text))
    word_matches = _matcher(tuple(terms))
    first = next((i for i, word in enumerate(words) if word_matches(word.group())), None)
    if first is None:
        return ""
    start_index = max(first - before, 0)
    end_index = min(first + after, len(words) - 1)
    start = words[start_index].start() if start_index else 0
    end = words[end_index].end() if end_index < len(words) - 1 else len(text)
    excerpt = highlight(text[start:end], terms)
    lead = "… " if start else ""
    tail = " …" if end < len(text) else ""
    return format_html("{}{}{}", lead, excerpt, tail)
