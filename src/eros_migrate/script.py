"""BigQuery scripts: split into statements, procedure bodies included, and parse each with sqlglot.

Placeholder rendering happens before this module sees the text.

Two passes, each linear in the size of the file:

1. A lexer turns the text into tokens (words, strings, backtick names, numbers, punctuation),
   dropping whitespace and comments, so that a `;` or a keyword inside a string or comment is
   never mistaken for structure.
2. A recursive-descent splitter walks the tokens and builds `Statement` trees for BigQuery's
   procedural language (blocks, IF, loops, CASE, procedures). It cuts the pieces sqlglot should
   parse (SQL statements, conditions, types, values) into `Fragment`s and does no sqlglot work.

`parse_script` then hands each statement and fragment to sqlglot. Structure errors (an
unterminated string, BEGIN without END) raise `ScriptSyntaxError`; a statement sqlglot cannot
parse, or can only keep as a raw `exp.Command`, becomes a `Finding` instead.
"""

from __future__ import annotations

import logging
import re
from bisect import bisect_right
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import NamedTuple

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, SqlglotError

from eros_migrate.dialect import DIALECT
from eros_migrate.errors import ScriptSyntaxError
from eros_migrate.findings import Finding

logger = logging.getLogger(__name__)


@dataclass
class Fragment:
    """A piece of a scripting statement that sqlglot parses on its own.

    `role` says what the piece is and how it is parsed:

    - as an expression: `condition` (IF, ELSEIF, WHILE, UNTIL, ASSERT, searched CASE WHEN),
      `operand` (simple CASE), `value` (SET, simple CASE WHEN), `default` (DECLARE), `message`
      (RAISE), `description` (ASSERT), `call` (CALL, as `name(args)`), `sql` (EXECUTE IMMEDIATE's
      string or expression; for a string literal, `expression` is the statement inside it);
    - as a data type: `type` (DECLARE), `parameter` (procedure parameter, `name` is the
      parameter's name and `mode` its IN/OUT/INOUT);
    - as a statement: `query` (FOR ... IN);
    - as a SELECT list: `using` (EXECUTE IMMEDIATE ... USING);
    - `unexpected`: text the splitter did not expect there; `expected` says what belongs there.

    `line` and `column` are those of the fragment's first character in the file (for an empty
    fragment, of the token that follows it). `expression` is filled by `parse_script`.
    """

    role: str
    text: str
    line: int
    column: int
    name: str | None = None
    mode: str | None = None
    expected: str | None = None
    expression: exp.Expression | None = None


@dataclass
class Branch:
    """An ELSEIF or ELSE branch of IF, or a WHEN or ELSE branch of a procedural CASE."""

    kind: str
    line: int
    column: int
    condition: Fragment | None
    body: list[Statement] = field(default_factory=list)


@dataclass
class Statement:
    """One statement of a script, at its place in the file.

    `kind` is `sql` for a statement sqlglot parses on its own, `export` for EXPORT DATA, or the
    scripting construct (`declare`, `set`, `if`, `while`, `loop`, `repeat`, `for`, `block`,
    `case`, `create_procedure`, `call`, `raise`, `return`, `break`, `continue`, `transaction`,
    `execute_immediate`, `assert`). LEAVE is a `break`, ITERATE a `continue`.

    `text` is the exact source slice from the statement's first token to its last one, without
    the closing `;` (comments before the first token or after the last are left out); `line`,
    `column` (1-based, of the first character) and `end_line` locate it. `expression` is the
    parsed statement for `sql` and `export` (None when sqlglot could not parse it, an
    `exp.Command` when it could only keep it raw; both come with a finding); `parts` the parsed
    expressions of a scripting statement, in source order (the same objects as
    `fragments[i].expression`). Both are filled by `parse_script`.

    Nested statements live in `body` (THEN branch of IF, first branch of CASE, loop bodies,
    block and procedure bodies), `branches` (ELSEIF/ELSE of IF, the other WHEN/ELSE of CASE) and
    `handler` (the statements after EXCEPTION WHEN ERROR THEN of a block or procedure body).
    `iter_statements` reaches all of them.

    `name` is the procedure's name as written for `create_procedure` and `call`; `label` the
    label of a labelled block or loop, or the target of BREAK/CONTINUE; `names` the variables of
    DECLARE, the targets of SET, the loop variable of FOR.
    """

    kind: str
    text: str
    line: int
    column: int
    end_line: int
    expression: exp.Expression | None = None
    parts: list[exp.Expression] = field(default_factory=list)
    body: list[Statement] = field(default_factory=list)
    name: str | None = None
    label: str | None = None
    names: list[str] = field(default_factory=list)
    branches: list[Branch] = field(default_factory=list)
    handler: list[Statement] = field(default_factory=list)
    fragments: list[Fragment] = field(default_factory=list)


@dataclass
class ParsedScript:
    file: str
    statements: list[Statement]
    findings: list[Finding]


# Lexer ------------------------------------------------------------------------------------------

# BigQuery strings follow Python's rules: a backslash always takes the next character with it,
# in raw strings too (r'\'' is one string), which is also how sqlglot reads them. Only
# triple-quoted strings may span lines. Three quotes always open a triple-quoted string, so
# the one-quote forms refuse to start with them.
_PREFIX = r"(?:[rR][bB]?|[bB][rR]?)?"
_TOKEN = re.compile(
    rf"""
      (?P<space>\s+)
    | (?P<comment>(?:--|\#)[^\n]*|/\*.*?\*/)
    | (?P<string>{_PREFIX}(?:
          '''(?:[^'\\]|\\.|'(?!''))*'''
        | \"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
        | '(?!'')(?:[^'\\\n]|\\.)*'
        | "(?!"")(?:[^"\\\n]|\\.)*"
      ))
    | (?P<ident>`(?:[^`\\\n]|\\.)*`)
    | (?P<unclosed>/\*|{_PREFIX}(?:'''|\"\"\"|'|")|`)
    | (?P<word>[^\W\d]\w*)
    | (?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
    | (?P<punct>.)
    """,
    re.VERBOSE | re.DOTALL,
)

WORD = "word"  # an unquoted word that may be a keyword
NAME = "name"  # an unquoted word after a dot: always a name (t.end, x.begin)


class _Token(NamedTuple):
    kind: str
    start: int
    end: int
    value: str  # upper-cased word, the punctuation character, or "" for other kinds


class _Lines:
    """Maps character offsets to 1-based line and column."""

    def __init__(self, text: str) -> None:
        self.starts = [0] + [match.end() for match in re.finditer("\n", text)]

    def line(self, offset: int) -> int:
        return bisect_right(self.starts, offset)

    def where(self, offset: int) -> tuple[int, int]:
        line = bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1


def _tokenize(text: str, file: str, lines: _Lines) -> list[_Token]:
    tokens: list[_Token] = []
    append = tokens.append
    after_dot = False

    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind == "space" or kind == "comment":
            continue

        start, end = match.span()
        if kind == "word":
            append(_Token(NAME if after_dot else WORD, start, end, match.group().upper()))
            after_dot = False
        elif kind == "punct":
            char = match.group()
            append(_Token("punct", start, end, char))
            after_dot = char == "."
        elif kind == "unclosed":
            raise _unclosed_quote(text, file, lines, start, match.group())
        else:
            assert kind is not None
            append(_Token(kind, start, end, ""))
            after_dot = False

    return tokens


def string_literals(text: str) -> Iterator[tuple[int, int]]:
    """Where each string or bytes literal of `text` starts and ends, prefix and quotes included."""
    for match in _TOKEN.finditer(text):
        if match.lastgroup == "string":
            yield match.span()


def _unclosed_quote(
    text: str, file: str, lines: _Lines, start: int, opener: str
) -> ScriptSyntaxError:
    line, column = lines.where(start)
    if opener == "/*":
        what, hint = "comment /*", "close the comment with */"
    elif opener == "`":
        what, hint = "identifier `", "close the name with a backtick on the same line"
    elif opener.endswith(("'''", '"""')):
        quote = opener[-3:]
        what, hint = f"string {quote}", f"close the string with {quote}"
    else:
        quote = opener[-1]
        what = f"string {quote}"
        hint = (
            f"close the string with {quote} on the same line; "
            "use triple quotes for text that spans lines"
        )
    return ScriptSyntaxError(
        f"unterminated {what} (starting with {text[start : start + 20]!r})",
        file=file,
        line=line,
        column=column,
        hint=hint,
    )


# Splitter ---------------------------------------------------------------------------------------

# Words that close a statement list; at the start of a statement they are never a statement.
_CLOSERS = frozenset({"END", "ELSE", "ELSEIF", "WHEN", "UNTIL", "EXCEPTION"})
_LOOP_KINDS = {"LOOP": "loop", "WHILE": "while", "REPEAT": "repeat", "FOR": "for", "BEGIN": "block"}
_END_KINDS = frozenset({"IF", "WHILE", "LOOP", "REPEAT", "FOR", "CASE"})
_JUMPS = {"BREAK": "break", "LEAVE": "break", "CONTINUE": "continue", "ITERATE": "continue"}
_OPENING = frozenset({"(", "["})
_CLOSING = frozenset({")", "]"})


class _Splitter:
    def __init__(self, text: str, file: str) -> None:
        self.text = text
        self.file = file
        self.lines = _Lines(text)
        self.tokens = _tokenize(text, file, self.lines)
        self.pos = 0

    # Token helpers

    def _peek(self, ahead: int = 0) -> _Token | None:
        index = self.pos + ahead
        return self.tokens[index] if index < len(self.tokens) else None

    def _is(self, token: _Token | None, *words: str) -> bool:
        return token is not None and token.kind == WORD and token.value in words

    def _is_punct(self, token: _Token | None, char: str) -> bool:
        return token is not None and token.kind == "punct" and token.value == char

    def _describe(self, token: _Token | None) -> str:
        if token is None:
            return "the end of the file"
        return f"{self.text[token.start : token.end]!r} at {self._at(token)}"

    def _at(self, token: _Token) -> str:
        line, column = self.lines.where(token.start)
        return f"line {line}, column {column}"

    def _error(
        self, message: str, token: _Token | None, hint: str | None = None
    ) -> ScriptSyntaxError:
        offset = token.start if token is not None else len(self.text)
        line, column = self.lines.where(offset)
        return ScriptSyntaxError(message, file=self.file, line=line, column=column, hint=hint)

    def _expect_word(self, word: str, opener: _Token, what: str) -> _Token:
        token = self._peek()
        if not self._is(token, word):
            raise self._error(
                f"{what}: expected {word}, found {self._describe(token)}",
                token,
                hint=f"the {what} starts at {self._at(opener)}",
            )
        self.pos += 1
        assert token is not None
        return token

    def _unclosed(
        self, opener: _Token, what: str, closer: str, found: _Token | None
    ) -> ScriptSyntaxError:
        return self._error(
            f"{what} is never closed by {closer} (found {self._describe(found)})",
            opener,
            hint=f"add {closer}; where the {what} ends, or remove the stray keyword",
        )

    def _statement_at(
        self,
        kind: str,
        first: _Token,
        last_end: int,
        *,
        body: list[Statement] | None = None,
        branches: list[Branch] | None = None,
        handler: list[Statement] | None = None,
        fragments: list[Fragment] | None = None,
        name: str | None = None,
        label: str | None = None,
        names: list[str] | None = None,
    ) -> Statement:
        """The statement from `first` to `last_end`, the offset just after its last character."""
        line, column = self.lines.where(first.start)
        return Statement(
            kind=kind,
            text=self.text[first.start : last_end],
            line=line,
            column=column,
            end_line=self.lines.line(max(last_end - 1, first.start)),
            body=body or [],
            branches=branches or [],
            handler=handler or [],
            fragments=fragments or [],
            name=name,
            label=label,
            names=names or [],
        )

    def _fragment(
        self,
        role: str,
        first: int,
        stop: int,
        *,
        name: str | None = None,
        mode: str | None = None,
        expected: str | None = None,
    ) -> Fragment:
        """A fragment over tokens[first:stop]; an empty one sits at the token that follows."""
        if first < stop:
            start, end = self.tokens[first].start, self.tokens[stop - 1].end
        else:
            start = end = self.tokens[first].start if first < len(self.tokens) else len(self.text)
        line, column = self.lines.where(start)
        return Fragment(
            role, self.text[start:end], line, column, name=name, mode=mode, expected=expected
        )

    def _scan_expression(self, stops: frozenset[str], opener: _Token, what: str, form: str) -> int:
        """Advance over an expression to the first stop word outside parentheses and CASE.

        Returns the index of the first token of the expression; `self.pos` ends on the stop word.
        """
        first = self.pos
        depth = 0
        cases = 0
        tokens = self.tokens
        count = len(tokens)

        while self.pos < count:
            token = tokens[self.pos]
            if token.kind == WORD:
                if depth == 0 and cases == 0 and token.value in stops:
                    return first
                if token.value == "CASE":
                    cases += 1
                elif token.value == "END" and cases > 0:
                    cases -= 1
            elif token.kind == "punct":
                if token.value in _OPENING:
                    depth += 1
                elif token.value in _CLOSING:
                    depth -= 1
                elif token.value == ";":
                    break
            self.pos += 1

        expected = " or ".join(sorted(stops))
        raise self._error(
            f"{what} is missing {expected} (found {self._describe(self._peek())})",
            opener,
            hint=f"write {form}",
        )

    def _scan_to_semicolon(self) -> int:
        """Advance to the `;` (or end of file) that ends a simple statement; return the stop index.

        An END or ELSE outside any CASE expression means the `;` before it is missing: without
        this check the statement would swallow the end of its enclosing block.
        """
        tokens = self.tokens
        count = len(tokens)
        cases = 0

        while self.pos < count:
            token = tokens[self.pos]
            if token.kind == WORD:
                if token.value == "CASE":
                    cases += 1
                elif token.value == "END":
                    if cases == 0:
                        raise self._error(
                            f"expected ';' before END at {self._describe(token)}",
                            token,
                            hint="end every statement inside a block with ';'",
                        )
                    cases -= 1
                elif token.value == "ELSE" and cases == 0:
                    raise self._error(
                        f"expected ';' before ELSE at {self._describe(token)}",
                        token,
                        hint="end every statement inside IF or CASE with ';'",
                    )
            elif token.kind == "punct" and token.value == ";":
                break
            self.pos += 1

        return self.pos

    # Statement lists

    def statements(self) -> list[Statement]:
        statements = self._statement_list()
        token = self._peek()
        if token is not None:
            raise self._error(
                f"{self._describe(token)} does not close anything",
                token,
                hint=f"remove it, or add the statement that {token.value} belongs to",
            )
        return statements

    def _statement_list(self) -> list[Statement]:
        """Statements up to the end of the file or a closing word (END, ELSE, UNTIL, ...)."""
        statements: list[Statement] = []

        while (token := self._peek()) is not None:
            if token.kind == "punct" and token.value == ";":
                self.pos += 1
                continue
            if token.kind == WORD and token.value in _CLOSERS:
                break

            statements.append(self._statement())
            after = self._peek()
            if after is not None and not self._is_punct(after, ";"):
                last = statements[-1]
                raise self._error(
                    f"expected ';' after the {last.kind} statement at line {last.line}, "
                    f"column {last.column}, found {self._describe(after)}",
                    after,
                    hint="end every statement with ';'",
                )

        return statements

    def _statement(self) -> Statement:
        first = self.tokens[self.pos]
        following = self._peek(1)
        label: str | None = None

        if first.kind == WORD and self._is_punct(following, ":"):
            label = self.text[first.start : first.end]
            self.pos += 2
            token = self._peek()
            if not (token is not None and token.kind == WORD and token.value in _LOOP_KINDS):
                raise self._error(
                    f"label {label!r} must be followed by BEGIN, LOOP, WHILE, REPEAT or FOR, "
                    f"found {self._describe(token)}",
                    token,
                    hint="only blocks and loops take a label; remove it",
                )
            following = self._peek(1)

        keyword = self.tokens[self.pos].value if self.tokens[self.pos].kind == WORD else ""
        if keyword == "ELSIF":
            raise self._error(
                "ELSIF is not BigQuery syntax",
                self.tokens[self.pos],
                hint="write ELSEIF",
            )
        if keyword == "BEGIN":
            if label is None and (
                following is None
                or self._is_punct(following, ";")
                or self._is(following, "TRANSACTION")
            ):
                return self._simple("transaction", first)
            return self._block(first, label)
        if keyword in ("LOOP", "WHILE", "REPEAT", "FOR"):
            return self._loop(first, keyword, label)
        if keyword == "IF":
            return self._if(first)
        if keyword == "CASE":
            return self._case(first)
        if keyword == "CREATE" and self._is_procedure():
            return self._procedure(first)
        if keyword in ("COMMIT", "ROLLBACK"):
            return self._simple("transaction", first)
        if keyword == "EXECUTE" and self._is(following, "IMMEDIATE"):
            return self._simple("execute_immediate", first)
        if keyword == "EXPORT" and self._is(following, "DATA"):
            return self._simple("export", first)
        if keyword in _JUMPS:
            return self._simple(_JUMPS[keyword], first)
        if keyword in ("DECLARE", "SET", "CALL", "RAISE", "RETURN", "ASSERT"):
            return self._simple(keyword.lower(), first)
        return self._simple("sql", first)

    def _simple(self, kind: str, first: _Token) -> Statement:
        begin = self.pos
        stop = self._scan_to_semicolon()
        statement = self._statement_at(kind, first, self.tokens[stop - 1].end)
        self._describe_simple(statement, begin, stop)
        return statement

    def _end(self, opener: _Token, what: str, closer: str) -> _Token:
        """Consume END <closer>; `self.pos` is on END."""
        end = self._peek()
        if not self._is(end, "END"):
            raise self._unclosed(opener, what, f"END {closer}", end)
        following = self._peek(1)
        if not self._is(following, closer):
            raise self._unclosed(opener, what, f"END {closer}", end)
        self.pos += 2
        assert following is not None
        return following

    def _end_label(self, label: str | None, last: _Token) -> _Token:
        """Consume an optional label after END ...; it must repeat the opening label."""
        token = self._peek()
        if label is None or token is None or token.kind not in (WORD, NAME):
            return last

        written = self.text[token.start : token.end]
        if written.upper() != label.upper():
            raise self._error(
                f"END label {written!r} does not match the opening label {label!r}",
                token,
                hint="repeat the opening label after END, or leave the END label out",
            )
        self.pos += 1
        return token

    # Compound statements

    def _body_until_end(self, opener: _Token, what: str) -> tuple[list[Statement], list[Statement]]:
        """The body of a BEGIN block (after BEGIN) and its exception handler, up to END."""
        body = self._statement_list()
        handler: list[Statement] = []

        token = self._peek()
        if self._is(token, "EXCEPTION"):
            self.pos += 1
            self._expect_word("WHEN", opener, what)
            self._expect_word("ERROR", opener, what)
            self._expect_word("THEN", opener, what)
            handler = self._statement_list()
            token = self._peek()

        if not self._is(token, "END"):
            raise self._unclosed(opener, what, "END", token)
        following = self._peek(1)
        if self._is(following, *_END_KINDS):
            raise self._unclosed(opener, what, "END", token)
        self.pos += 1
        return body, handler

    def _block(self, first: _Token, label: str | None) -> Statement:
        opener = self.tokens[self.pos]
        self.pos += 1
        body, handler = self._body_until_end(opener, "BEGIN block")
        last = self._end_label(label, self.tokens[self.pos - 1])
        return self._statement_at("block", first, last.end, body=body, handler=handler, label=label)

    def _loop(self, first: _Token, keyword: str, label: str | None) -> Statement:
        opener = self.tokens[self.pos]
        self.pos += 1
        what = keyword
        fragments: list[Fragment] = []
        names: list[str] = []

        if keyword == "WHILE":
            begin = self._scan_expression(
                frozenset({"DO"}), opener, "WHILE", "WHILE <condition> DO ... END WHILE"
            )
            fragments.append(self._fragment("condition", begin, self.pos))
            self.pos += 1
        elif keyword == "FOR":
            variable = self._peek()
            if variable is None or variable.kind not in (WORD, NAME, "ident"):
                raise self._error(
                    f"FOR is missing its loop variable (found {self._describe(variable)})",
                    variable,
                    hint="write FOR name IN (query) DO ... END FOR",
                )
            names.append(self.text[variable.start : variable.end])
            self.pos += 1
            self._expect_word("IN", opener, "FOR loop")
            begin = self._scan_expression(
                frozenset({"DO"}), opener, "FOR", "FOR name IN (query) DO ... END FOR"
            )
            fragments.append(self._query_fragment(begin, self.pos))
            self.pos += 1

        body = self._statement_list()

        if keyword == "REPEAT":
            if not self._is(self._peek(), "UNTIL"):
                raise self._unclosed(opener, what, "UNTIL <condition> END REPEAT", self._peek())
            self.pos += 1
            begin = self._scan_expression(
                frozenset({"END"}), opener, "REPEAT", "REPEAT ... UNTIL <condition> END REPEAT"
            )
            fragments.append(self._fragment("condition", begin, self.pos))

        self._end(opener, what, keyword)
        last = self._end_label(label, self.tokens[self.pos - 1])
        return self._statement_at(
            _LOOP_KINDS[keyword],
            first,
            last.end,
            body=body,
            label=label,
            names=names,
            fragments=fragments,
        )

    def _query_fragment(self, first: int, stop: int) -> Fragment:
        """FOR's `(query)`: drop the parentheses when they enclose the whole query."""
        if (
            stop - first >= 2
            and self._is_punct(self.tokens[first], "(")
            and self._is_punct(self.tokens[stop - 1], ")")
            and self._matching(first) == stop - 1
        ):
            return self._fragment("query", first + 1, stop - 1)
        return self._fragment("query", first, stop)

    def _matching(self, opening: int) -> int:
        depth = 0
        for index in range(opening, len(self.tokens)):
            token = self.tokens[index]
            if token.kind == "punct":
                if token.value in _OPENING:
                    depth += 1
                elif token.value in _CLOSING:
                    depth -= 1
                    if depth == 0:
                        return index
        return -1

    def _if(self, first: _Token) -> Statement:
        self.pos += 1
        then = frozenset({"THEN"})
        begin = self._scan_expression(then, first, "IF", "IF <condition> THEN ... END IF")
        condition = self._fragment("condition", begin, self.pos)
        self.pos += 1
        body = self._statement_list()
        branches: list[Branch] = []

        while (token := self._peek()) is not None and self._is(token, "ELSEIF", "ELSE"):
            line, column = self.lines.where(token.start)
            self.pos += 1
            if token.value == "ELSEIF":
                begin = self._scan_expression(then, token, "ELSEIF", "ELSEIF <condition> THEN")
                branch_condition: Fragment | None = self._fragment("condition", begin, self.pos)
                self.pos += 1
            else:
                branch_condition = None
            branches.append(
                Branch(token.value.lower(), line, column, branch_condition, self._statement_list())
            )
            if token.value == "ELSE":
                break

        try:
            last = self._end(first, "IF", "IF")
        except ScriptSyntaxError as error:
            if any(_is_else_if(branch) for branch in branches):
                error.hint = (
                    "BigQuery writes ELSEIF as one word; ELSE IF opens a nested IF that needs "
                    "its own END IF"
                )
            raise
        fragments = [condition] + [b.condition for b in branches if b.condition is not None]
        return self._statement_at(
            "if", first, last.end, body=body, branches=branches, fragments=fragments
        )

    def _case(self, first: _Token) -> Statement:
        self.pos += 1
        when = frozenset({"WHEN"})
        then = frozenset({"THEN"})
        fragments: list[Fragment] = []

        begin = self._scan_expression(when, first, "CASE", "CASE [operand] WHEN ... END CASE")
        searched = begin == self.pos
        if not searched:
            fragments.append(self._fragment("operand", begin, self.pos))

        body: list[Statement] = []
        branches: list[Branch] = []
        while (token := self._peek()) is not None and self._is(token, "WHEN", "ELSE"):
            line, column = self.lines.where(token.start)
            self.pos += 1
            condition: Fragment | None = None
            if token.value == "WHEN":
                begin = self._scan_expression(then, token, "WHEN", "WHEN <value> THEN")
                condition = self._fragment("condition" if searched else "value", begin, self.pos)
                fragments.append(condition)
                self.pos += 1
            statements = self._statement_list()
            if token.value == "WHEN" and not body and not branches:
                body = statements
            else:
                branches.append(Branch(token.value.lower(), line, column, condition, statements))
            if token.value == "ELSE":
                break

        last = self._end(first, "CASE", "CASE")
        return self._statement_at(
            "case", first, last.end, body=body, branches=branches, fragments=fragments
        )

    def _is_procedure(self) -> bool:
        index = self.pos + 1
        if self._is(self._peek(1), "OR") and self._is(self._peek(2), "REPLACE"):
            index += 2
        if index < len(self.tokens) and self._is(self.tokens[index], "TEMP", "TEMPORARY"):
            index += 1
        return index < len(self.tokens) and self._is(self.tokens[index], "PROCEDURE")

    def _procedure(self, first: _Token) -> Statement:
        while not self._is(self._peek(), "PROCEDURE"):
            self.pos += 1
        self.pos += 1
        if self._is(self._peek(), "IF") and self._is(self._peek(1), "NOT"):
            self.pos += 3

        name_first = self.pos
        while (token := self._peek()) is not None and not self._is_punct(token, "("):
            if self._is_punct(token, ";") or self._is(token, "BEGIN"):
                break
            self.pos += 1
        opening = self._peek()
        if opening is None or not self._is_punct(opening, "(") or name_first == self.pos:
            raise self._error(
                f"CREATE PROCEDURE is missing the procedure's name and '(' "
                f"(found {self._describe(opening)})",
                opening,
                hint="write CREATE PROCEDURE dataset.name(parameters) BEGIN ... END",
            )
        name = self.text[self.tokens[name_first].start : self.tokens[self.pos - 1].end]

        closing = self._matching(self.pos)
        if closing < 0:
            raise self._unclosed(opening, "parameter list", "')'", None)
        fragments = self._parameters(self.pos + 1, closing)
        self.pos = closing + 1

        # OPTIONS(...) may sit between the parameters and BEGIN; a procedure without BEGIN has
        # a string body (LANGUAGE PYTHON AS r'''...''') and ends at the next ';'.
        depth = 0
        while (token := self._peek()) is not None:
            if token.kind == "punct":
                if token.value == ";":
                    break
                depth += token.value in _OPENING
                depth -= token.value in _CLOSING
            elif depth == 0 and token.kind == WORD and token.value == "BEGIN":
                break
            self.pos += 1

        opener = self._peek()
        if opener is None or not self._is(opener, "BEGIN"):
            return self._statement_at(
                "create_procedure",
                first,
                self.tokens[self.pos - 1].end,
                name=name,
                fragments=fragments,
            )

        self.pos += 1
        body, handler = self._body_until_end(opener, f"body of procedure {name}")
        return self._statement_at(
            "create_procedure",
            first,
            self.tokens[self.pos - 1].end,
            name=name,
            body=body,
            handler=handler,
            fragments=fragments,
        )

    def _parameters(self, first: int, stop: int) -> list[Fragment]:
        """`[IN|OUT|INOUT] name type` separated by commas, outside () and <>."""
        fragments: list[Fragment] = []
        if first == stop:
            return fragments

        pieces: list[tuple[int, int]] = []
        depth = 0
        begin = first
        for index in range(first, stop):
            token = self.tokens[index]
            if token.kind != "punct":
                continue
            if token.value in ("(", "<", "["):
                depth += 1
            elif token.value in (")", ">", "]"):
                depth -= 1
            elif token.value == "," and depth == 0:
                pieces.append((begin, index))
                begin = index + 1
        pieces.append((begin, stop))

        for begin, end in pieces:
            mode: str | None = None
            if end - begin >= 2 and self._is(self.tokens[begin], "IN", "OUT", "INOUT"):
                mode = self.tokens[begin].value
                begin += 1
            if begin == end or self.tokens[begin].kind not in (WORD, NAME, "ident"):
                fragments.append(
                    self._fragment(
                        "unexpected", begin, end, expected="a parameter: [IN|OUT|INOUT] name type"
                    )
                )
                continue
            token = self.tokens[begin]
            fragments.append(
                self._fragment(
                    "parameter", begin + 1, end, name=self.text[token.start : token.end], mode=mode
                )
            )

        return fragments

    # Simple scripting statements: cut their pieces for sqlglot

    def _describe_simple(self, statement: Statement, first: int, stop: int) -> None:
        kind = statement.kind
        if kind == "sql" or kind == "export":
            return

        tokens = self.tokens
        fragments = statement.fragments

        if kind == "declare":
            index = first + 1
            while index < stop and tokens[index].kind in (WORD, NAME, "ident"):
                statement.names.append(self.text[tokens[index].start : tokens[index].end])
                if index + 1 < stop and self._is_punct(tokens[index + 1], ","):
                    index += 2
                    continue
                index += 1
                break
            default = self._find_word(index, stop, "DEFAULT")
            if index < default:
                fragments.append(self._fragment("type", index, default))
            if default < stop:
                fragments.append(self._fragment("default", default + 1, stop))
            if not statement.names or (index == default == stop):
                fragments.append(
                    self._fragment(
                        "unexpected", index, stop, expected="DECLARE name type [DEFAULT value]"
                    )
                )

        elif kind == "set":
            equals = self._find_punct(first + 1, stop, "=")
            statement.names.extend(
                self.text[t.start : t.end]
                for t in tokens[first + 1 : equals]
                if t.kind in (WORD, NAME, "ident")
            )
            if equals == stop:
                fragments.append(
                    self._fragment("unexpected", first + 1, stop, expected="SET name = value")
                )
            else:
                fragments.append(self._fragment("value", equals + 1, stop))

        elif kind == "call":
            opening = self._find_punct(first + 1, stop, "(")
            statement.name = self._slice(first + 1, opening) or None
            if opening == stop:
                fragments.append(
                    self._fragment("unexpected", first + 1, stop, expected="CALL name(arguments)")
                )
            else:
                fragments.append(self._fragment("call", first + 1, stop))

        elif kind == "raise":
            if first + 1 < stop:
                if (
                    first + 3 < stop
                    and self._is(tokens[first + 1], "USING")
                    and self._is(tokens[first + 2], "MESSAGE")
                    and self._is_punct(tokens[first + 3], "=")
                ):
                    fragments.append(self._fragment("message", first + 4, stop))
                else:
                    fragments.append(
                        self._fragment(
                            "unexpected",
                            first + 1,
                            stop,
                            expected="RAISE [USING MESSAGE = message]",
                        )
                    )

        elif kind in ("break", "continue"):
            if first + 1 < stop:
                statement.label = self._slice(first + 1, first + 2)
            if first + 2 < stop:
                fragments.append(
                    self._fragment("unexpected", first + 2, stop, expected="';' after the label")
                )

        elif kind in ("return", "transaction"):
            rest = first + 1
            if kind == "transaction" and rest < stop and self._is(tokens[rest], "TRANSACTION"):
                rest += 1
            if rest < stop:
                fragments.append(self._fragment("unexpected", rest, stop, expected="';'"))

        elif kind == "assert":
            alias = self._find_word(first + 1, stop, "AS")
            fragments.append(self._fragment("condition", first + 1, alias))
            if alias < stop:
                fragments.append(self._fragment("description", alias + 1, stop))

        elif kind == "execute_immediate":
            into = self._find_word(first + 2, stop, "INTO")
            using = self._find_word(first + 2, stop, "USING")
            end_sql = min(into, using)
            fragments.append(self._fragment("sql", first + 2, end_sql))
            if into < stop:
                statement.names.extend(
                    self.text[t.start : t.end]
                    for t in tokens[into + 1 : using]
                    if t.kind in (WORD, NAME, "ident")
                )
            if using < stop:
                fragments.append(self._fragment("using", using + 1, stop))

    def _slice(self, first: int, stop: int) -> str:
        if first >= stop:
            return ""
        return self.text[self.tokens[first].start : self.tokens[stop - 1].end]

    def _find_word(self, first: int, stop: int, word: str) -> int:
        """Index of `word` outside parentheses and CASE in tokens[first:stop], else `stop`."""
        depth = 0
        cases = 0
        for index in range(first, stop):
            token = self.tokens[index]
            if token.kind == WORD:
                if token.value == word and depth == 0 and cases == 0:
                    return index
                if token.value == "CASE":
                    cases += 1
                elif token.value == "END":
                    cases -= 1
            elif token.kind == "punct":
                if token.value in _OPENING:
                    depth += 1
                elif token.value in _CLOSING:
                    depth -= 1
        return stop

    def _find_punct(self, first: int, stop: int, char: str) -> int:
        depth = 0
        for index in range(first, stop):
            token = self.tokens[index]
            if token.kind == "punct":
                if token.value == char and depth == 0:
                    return index
                if token.value in _OPENING:
                    depth += 1
                elif token.value in _CLOSING:
                    depth -= 1
        return stop


def _is_else_if(branch: Branch) -> bool:
    """ELSE followed by IF on the same line: most likely ELSEIF written as two words."""
    return (
        branch.kind == "else"
        and bool(branch.body)
        and branch.body[0].kind == "if"
        and branch.body[0].line == branch.line
    )


def split_statements(text: str, file: str = "<string>") -> list[Statement]:
    """Split a BigQuery script into its top-level statements, compound bodies included.

    `BEGIN;` and `BEGIN TRANSACTION` start a transaction (BigQuery's `BEGIN [TRANSACTION];`);
    BEGIN followed by anything else opens a block. A UTF-8 byte order mark at the start is
    ignored; columns count characters (code points) after it, a tab counting as one.

    Raises `ScriptSyntaxError` at the start of anything left open (string, comment, backtick
    name, block) and at an END that closes nothing.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    return _Splitter(text, file).statements()


def iter_statements(statements: list[Statement]) -> Iterator[Statement]:
    """Every statement, depth first: each one, then its body, branches and handler."""
    for statement in statements:
        yield statement
        if statement.body:
            yield from iter_statements(statement.body)
        for branch in statement.branches:
            yield from iter_statements(branch.body)
        if statement.handler:
            yield from iter_statements(statement.handler)


# Parsing with sqlglot ---------------------------------------------------------------------------

# sqlglot reports where an error is only through the text before it; asking for all of that
# text gives the exact offset.
_WHOLE_CONTEXT = 1 << 30
_TOKEN_REPR = re.compile(r"<Token token_type: [\w.]+, text: (.*?), line: \d+.*?>")
_CLASS_REPR = re.compile(r"<class '(?:\w+\.)*(\w+)'>")
_ROLE_WORDS = {
    "call": "procedure call",
    "sql": "SQL string",
    "default": "default value",
    "using": "USING list",
}


class _DropCommandFallback(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "Falling back to parsing as a 'Command'" not in record.getMessage()


@contextmanager
def _quiet_sqlglot() -> Iterator[None]:
    """Keep sqlglot's Command-fallback warnings from users: they become findings."""
    logger = logging.getLogger("sqlglot")
    quiet = _DropCommandFallback()
    logger.addFilter(quiet)
    try:
        yield
    finally:
        logger.removeFilter(quiet)


class _Reporter:
    def __init__(self, file: str) -> None:
        self.file = file
        self.findings: list[Finding] = []

    def add(self, rule: str, text: str, line: int, column: int, offset: int, message: str) -> None:
        """A finding at `offset` characters into `text`, which starts at line:column."""
        offset = max(0, min(offset, len(text)))
        newlines = text.count("\n", 0, offset)
        if newlines:
            line += newlines
            column = offset - text.rindex("\n", 0, offset)
        else:
            column += offset
        self.findings.append(Finding(self.file, line, column, rule, "error", message))

    def parse_error(
        self, error: SqlglotError, text: str, line: int, column: int, shift: int, what: str
    ) -> None:
        offset = 0
        description = str(error).split("\n")[0]
        near = ""
        if isinstance(error, ParseError) and error.errors:
            detail = error.errors[0]
            description = str(detail.get("description") or description)
            start_context = detail.get("start_context")
            if isinstance(start_context, str):
                offset = len(start_context) - shift
            highlight = detail.get("highlight")
            if isinstance(highlight, str) and highlight:
                near = f" near {highlight!r}"

        description = _TOKEN_REPR.sub(r"'\1'", description)
        description = _CLASS_REPR.sub(r"\1", description).rstrip(". ")
        self.add(
            "parse-error",
            text,
            line,
            column,
            offset,
            f"{what} does not parse ({description}{near}); fix the syntax, or, if BigQuery "
            "accepts it as written, rewrite it in a form sqlglot can parse",
        )

    def crash(self, error: Exception, line: int, column: int, what: str) -> None:
        """sqlglot itself failed on malformed text: the statement is unparsed all the same.

        Only the sqlglot calls are guarded this way, so a failure there reaches the user as a
        finding at the statement instead of ending the whole run.
        """
        logger.debug("sqlglot failed on %s at %s:%s", what, line, column, exc_info=True)
        self.findings.append(
            Finding(
                self.file,
                line,
                column,
                "parse-error",
                "error",
                f"{what} could not be parsed: sqlglot failed on it ({type(error).__name__}); "
                "check its syntax",
            )
        )


def _first_word(text: str) -> str:
    words = text.split(None, 1)
    return words[0].upper() if words else "empty"


def _parse_statement_text(
    text: str, line: int, column: int, reporter: _Reporter, what: str, exact: bool = True
) -> exp.Expression | None:
    """Parse one statement; with `exact` false, findings stay at line:column."""
    try:
        expressions = sqlglot.parse(text, read=DIALECT, error_message_context=_WHOLE_CONTEXT)
    except SqlglotError as error:
        reporter.parse_error(error, text if exact else "", line, column, 0, what)
        return None
    except Exception as error:  # sqlglot bugs on malformed text: see _Reporter.crash
        reporter.crash(error, line, column, what)
        return None

    parsed = [e for e in expressions if e is not None]
    if not parsed:
        reporter.add("parse-error", text, line, column, 0, f"{what} is empty")
        return None

    expression = parsed[0]
    if not isinstance(expression, exp.Expression):
        return None
    if isinstance(expression, exp.Command):
        reporter.add(
            "unparsed-command",
            text,
            line,
            column,
            0,
            f"sqlglot cannot parse this {_first_word(text)} statement and would keep it as raw "
            "text, so nothing about it can be checked; rewrite it with syntax sqlglot supports, "
            "or run it outside the migration",
        )
    return expression


def _parse_fragment(fragment: Fragment, statement: Statement, reporter: _Reporter) -> None:
    role = fragment.role
    text = fragment.text
    construct = _first_word(statement.text)
    what = f"the {_ROLE_WORDS.get(role, role)} of {construct}"

    if role == "unexpected":
        found = f"unexpected {text[:40]!r} in {construct}" if text else f"incomplete {construct}"
        reporter.add(
            "parse-error",
            text,
            fragment.line,
            fragment.column,
            0,
            f"{found}; expected {fragment.expected}",
        )
        return

    if not text:
        if role == "parameter":
            message = f"procedure parameter {fragment.name!r} has no type; write `name TYPE`"
        else:
            message = f"{what} is missing"
        reporter.add("parse-error", text, fragment.line, fragment.column, 0, message)
        return

    if role == "query":
        fragment.expression = _parse_statement_text(
            text, fragment.line, fragment.column, reporter, what
        )
        return

    into: type[exp.Expr]
    prefix = ""
    if role in ("type", "parameter"):
        into = exp.DataType
        if role == "parameter":
            what = f"the type of parameter {fragment.name!r}"
    elif role == "using":
        into = exp.Select
        prefix = "SELECT "
    else:
        into = exp.Condition

    try:
        parsed = sqlglot.parse_one(
            prefix + text, read=DIALECT, into=into, error_message_context=_WHOLE_CONTEXT
        )
    except SqlglotError as error:
        reporter.parse_error(error, text, fragment.line, fragment.column, len(prefix), what)
        return
    except Exception as error:  # sqlglot bugs on malformed text: see _Reporter.crash
        reporter.crash(error, fragment.line, fragment.column, what)
        return

    if isinstance(parsed, exp.Expression):
        fragment.expression = parsed

    if role == "sql":
        _parse_dynamic_sql(fragment, reporter)


def _parse_dynamic_sql(fragment: Fragment, reporter: _Reporter) -> None:
    """EXECUTE IMMEDIATE of a string literal: parse the statement inside the string."""
    literal = fragment.expression
    if not isinstance(literal, exp.Literal) or not literal.is_string:
        return

    value = str(literal.this)
    text = fragment.text
    unprefixed = text.lstrip("rR")
    quote = 3 if unprefixed[:3] in ("'''", '"""') else 1
    opening = len(text) - len(unprefixed) + quote

    # Positions inside the string map exactly when its source is its value (no escapes);
    # otherwise findings point at the string's opening quote.
    exact = text[opening : len(text) - quote] == value
    column = fragment.column + opening if exact else fragment.column
    statement = _parse_statement_text(
        value, fragment.line, column, reporter, "the statement of EXECUTE IMMEDIATE", exact
    )
    if statement is not None:
        fragment.expression = statement


def _report_empty_list_items(text: str, file: str, reporter: _Reporter) -> None:
    """`a,, b` and `(, a)`: BigQuery rejects an empty list item; sqlglot drops it silently."""
    previous: _Token | None = None
    for token in _tokenize(text, file, _Lines(text)):
        if (
            token.kind == "punct"
            and token.value == ","
            and previous is not None
            and previous.kind == "punct"
            and previous.value in (",", "(")
        ):
            reporter.add(
                "parse-error",
                text,
                1,
                1,
                token.start,
                "a list item is missing between two separators: remove the extra comma",
            )
        previous = token


def parse_script(text: str, file: str = "<string>") -> ParsedScript:
    """Split `text` and parse every statement and scripting fragment with sqlglot.

    Raises `ScriptSyntaxError` when the text cannot be split; what sqlglot cannot parse, or can
    only keep as a raw Command, is returned as findings.
    """
    statements = split_statements(text, file)
    reporter = _Reporter(file)
    _report_empty_list_items(text, file, reporter)

    with _quiet_sqlglot():
        for statement in iter_statements(statements):
            if statement.kind in ("sql", "export"):
                statement.expression = _parse_statement_text(
                    statement.text,
                    statement.line,
                    statement.column,
                    reporter,
                    f"this {_first_word(statement.text)} statement",
                )
                continue

            for fragment in statement.fragments:
                _parse_fragment(fragment, statement, reporter)
            statement.parts = [
                f.expression for f in statement.fragments if f.expression is not None
            ]

    reporter.findings.sort()
    return ParsedScript(file, statements, reporter.findings)
