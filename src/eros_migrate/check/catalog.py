"""The target dataset as the migrations so far would leave it, as a GoogleSQL catalog.

Objects are learnt from the analyser's own output for each DDL statement (column types of a
CREATE TABLE, output columns of a view or CREATE TABLE AS SELECT, the signature of a function
or procedure), so the catalog never parses a type itself. Script variables and procedure
parameters become named constants: GoogleSQL resolves a bare name to a column first and to a
constant only when no column matches, which is how BigQuery resolves variables.

Registering a catalog costs 20 ms or more (the builtin functions come with it), so a new one
is made only when a statement mentions something that changed since the last one.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field

from zetasql.wasi._pb2.zetasql.proto.function_pb2 import (
    FunctionProto,
    FunctionSignatureProto,
    ProcedureProto,
    TableValuedFunctionProto,
)
from zetasql.wasi._pb2.zetasql.proto.simple_catalog_pb2 import SimpleCatalogProto
from zetasql.wasi._pb2.zetasql.public import function_pb2, type_pb2, value_pb2
from zetasql.wasi._pb2.zetasql.public.simple_table_pb2 import SimpleTableProto

from eros_migrate.check.session import Registration, Session

Column = tuple[str, type_pb2.TypeProto]
Path = tuple[str, ...]


@dataclass
class Relation:
    """A table, view or temporary table: its name as written at creation and its columns."""

    kind: str
    columns: list[Column]
    where: str

    def column(self, name: str) -> int | None:
        for index, (existing, _type) in enumerate(self.columns):
            if existing.lower() == name.lower():
                return index
        return None


@dataclass
class Routine:
    """A function, table function or procedure with its signature (argument names in the
    options; a table function's columns in its return type)."""

    kind: str
    signature: FunctionSignatureProto
    where: str
    aggregate: bool = False


@dataclass
class _State:
    """The persistent objects; temporary tables and variables are kept apart."""

    relations: dict[Path, Relation] = field(default_factory=dict)
    routines: dict[Path, Routine] = field(default_factory=dict)
    # Objects known to exist that the catalog cannot model (models, external tables whose
    # schema is detected, what a failed CREATE made): statements using them are not judged.
    opaque: dict[Path, str] = field(default_factory=dict)


class Catalog:
    """Tables, views, routines and variables of one target, with lazy registration."""

    def __init__(self, session: Session, project: str, dataset: str) -> None:
        self.session = session
        self.project = project
        self.dataset = dataset
        self.state = _State()
        self.temporary: dict[str, Relation] = {}
        self.scopes: list[dict[str, type_pb2.TypeProto]] = [{}]
        self._registered: Registration | None = None
        self._changed: set[str] = set()
        self._registered_names: dict[str, bytes] = {}
        self._plain: dict[str, Registration] = {}
        # Every object sits in the catalog under its full name, the form migrations use
        # (`project.dataset.name` in backticks); the other spellings double the cost of
        # registering, so they are added once some text uses them.
        self.short_names = False

    # Names

    def path(self, name_path: list[str] | tuple[str, ...]) -> Path:
        """The catalog key of a name as GoogleSQL resolved it: (project, dataset, name)."""
        parts: list[str] = []
        for part in name_path:
            parts.extend(part.split("."))
        if len(parts) == 1:
            return (parts[0].lower(),)
        if len(parts) == 2:
            parts.insert(0, self.project)
        return tuple(part.lower() for part in parts)

    def in_target(self, key: Path) -> bool:
        return len(key) == 3 and key[:2] == (self.project.lower(), self.dataset.lower())

    def display(self, key: Path) -> str:
        return ".".join(key)

    # Changes

    def notice_spellings(self, text: str) -> None:
        """Turn on the other spellings of names when `text` uses one of them."""
        if self.short_names:
            return
        full = text.count(f"`{self.project}.{self.dataset}.")
        # Any use of the dataset to qualify a name: `dataset.x`, `dataset`.x, project.dataset.x
        mentions = len(re.findall(rf"(?<![\w-]){re.escape(self.dataset)}`?\.", text))
        if mentions > full:
            self.short_names = True
            self._forget()

    def _touch(self, key: Path | str) -> None:
        self._changed.add(key[-1] if isinstance(key, tuple) else key.lower())

    def put_relation(self, key: Path, relation: Relation) -> None:
        if len(key) == 1:
            self.temporary[key[0]] = relation
        else:
            self.state.relations[key] = relation
            self.state.opaque.pop(key, None)
        self._touch(key)

    def put_routine(self, key: Path, routine: Routine) -> None:
        self.state.routines[key] = routine
        self._touch(key)

    def put_opaque(self, key: Path, kind: str) -> None:
        self.state.opaque[key] = kind
        self._touch(key)

    def remove(self, key: Path) -> None:
        if len(key) == 1:
            self.temporary.pop(key[0], None)
        self.state.relations.pop(key, None)
        self.state.routines.pop(key, None)
        self.state.opaque.pop(key, None)
        self._touch(key)

    def relation(self, key: Path) -> Relation | None:
        if len(key) == 1:
            return self.temporary.get(key[0])
        return self.state.relations.get(key)

    def routine(self, key: Path) -> Routine | None:
        return self.state.routines.get(key)

    def exists(self, key: Path) -> bool:
        return (
            self.relation(key) is not None
            or key in self.state.routines
            or key in self.state.opaque
        )

    def mentions_opaque(self, message: str) -> bool:
        """Whether `message` names an object that exists but is not modelled."""
        words = {word.lower() for word in re.findall(r"\w+", message)}
        return any(key[-1] in words for key in self.state.opaque)

    def snapshot(self) -> _State:
        return copy.deepcopy(self.state)

    def restore(self, state: _State) -> None:
        # Columns may have changed in place too; registration compares what each name means.
        for key in (*self.state.relations, *state.relations, *self.state.routines,
                    *state.routines, *self.state.opaque, *state.opaque):
            self._touch(key)
        self.state = state

    def checkpoint(self) -> tuple[_State, dict[str, Relation]]:
        """A copy of every object, temporary tables included, to return to or merge."""
        return copy.deepcopy((self.state, self.temporary))

    def reset(self, checkpoint: tuple[_State, dict[str, Relation]]) -> None:
        state, temporary = copy.deepcopy(checkpoint)
        for name in (*self.temporary, *temporary):
            self._touch(name)
        self.restore(state)
        self.temporary = temporary

    def merge(self, checkpoint: tuple[_State, dict[str, Relation]]) -> None:
        """Add what `checkpoint` holds: the objects of another path the script may take."""
        state, temporary = checkpoint
        for key, relation in state.relations.items():
            self.put_relation(key, relation)
        for key, routine in state.routines.items():
            self.put_routine(key, routine)
        for key, kind in state.opaque.items():
            if not self.exists(key):
                self.put_opaque(key, kind)
        for name, relation in temporary.items():
            self.put_relation((name,), relation)

    def clear_temporary(self) -> None:
        for name in self.temporary:
            self._touch(name)
        self.temporary.clear()

    # Variables

    def push_scope(self, variables: dict[str, type_pb2.TypeProto] | None = None) -> None:
        self.scopes.append(dict(variables or {}))
        for name in variables or {}:
            self._touch(name)

    def pop_scope(self) -> None:
        for name in self.scopes.pop():
            self._touch(name)

    def declare(self, name: str, kind: type_pb2.TypeProto) -> None:
        self.scopes[-1][name.lower()] = kind
        self._touch(name)

    def variable(self, name: str) -> type_pb2.TypeProto | None:
        for scope in reversed(self.scopes):
            if name.lower() in scope:
                return scope[name.lower()]
        return None

    def variables(self) -> dict[str, type_pb2.TypeProto]:
        merged: dict[str, type_pb2.TypeProto] = {}
        for scope in self.scopes:
            merged.update(scope)
        return merged

    # Registration

    def registered_for(self, text: str, *, ignore: str | None = None) -> Registration:
        """A catalog that is current for everything `text` mentions.

        `ignore` names the object a CREATE or DROP defines, whose earlier state the statement
        does not read.
        """
        if self._registered is None:
            self._register()
        elif self._changed:
            words = {word.lower() for word in re.findall(r"\w+", text)}
            words.discard((ignore or "").lower())
            if any(self._differs(name) for name in words & self._changed):
                self._register()
        assert self._registered is not None
        return self._registered

    def plain_for(self, text: str) -> Registration:
        """A current catalog of just what `text` mentions, without builtin functions.

        It registers in about a millisecond, where a full catalog takes 20 ms or more, and
        serves statements with no expression in them (most DDL).
        """
        words = {word.lower() for word in re.findall(r"\w+", text)}
        registration = Registration(self.to_proto(only=words), builtins=False)
        known = self._plain.pop(registration.fingerprint, None)
        if known is not None:
            registration = known
        elif len(self._plain) >= _PLAIN_KEPT:
            oldest = next(iter(self._plain))
            self.session.release(self._plain.pop(oldest))
        self._plain[registration.fingerprint] = registration
        return registration

    def registered(self) -> Registration:
        """A catalog, current or not, for text that reads no catalog object."""
        if self._registered is None:
            self._register()
        assert self._registered is not None
        return self._registered

    def _forget(self) -> None:
        self.session.release(self._registered)
        self._registered = None
        for registration in self._plain.values():
            self.session.release(registration)
        self._plain.clear()

    def _differs(self, name: str) -> bool:
        """Whether `name` means something else now than in the registered catalog."""
        if self._describe(name) == self._registered_names.get(name, b""):
            self._changed.discard(name)
            return False
        return True

    def _describe(self, name: str) -> bytes:
        parts: list[bytes] = []
        for key, relation in self.state.relations.items():
            if key[-1] == name:
                parts.append(repr((key, relation.columns)).encode())
        for key, routine in self.state.routines.items():
            if key[-1] == name:
                parts.append(repr(key).encode() + routine.signature.SerializeToString())
        if name in self.temporary:
            parts.append(repr(self.temporary[name].columns).encode())
        if any(key[-1] == name for key in self.state.opaque):
            parts.append(b"opaque")
        kind = self.variable(name)
        if kind is not None:
            parts.append(b"variable" + kind.SerializeToString())
        return b"|".join(parts)

    def _register(self) -> None:
        self.session.release(self._registered)
        self._registered = Registration(self.to_proto(), builtins=True)
        names = {key[-1] for key in self.state.relations}
        names |= {key[-1] for key in self.state.routines}
        names |= set(self.temporary) | set(self.variables()) | self._changed
        self._registered_names = {name: self._describe(name) for name in names}
        self._changed.clear()

    def to_proto(self, only: set[str] | None = None) -> SimpleCatalogProto:
        """The catalog; with `only`, just the objects and variables of those names."""
        root = SimpleCatalogProto(name="root")
        nested: dict[tuple[str, ...], SimpleCatalogProto] = {}

        def folder(*names: str) -> SimpleCatalogProto:
            # `project.dataset.name` unquoted, `dataset.name` for the default project.
            parent = root
            for depth in range(1, len(names) + 1):
                key = names[:depth]
                if key not in nested:
                    nested[key] = parent.catalog.add(name=names[depth - 1])
                parent = nested[key]
            return parent

        def places(key: Path) -> list[tuple[SimpleCatalogProto, str]]:
            if len(key) == 1:
                return [(root, key[0])]
            project, dataset, name = key
            spots = [(root, ".".join(key))]
            if not self.short_names:
                return spots
            spots.append((folder(project, dataset), name))
            if project == self.project.lower():
                spots += [(root, f"{dataset}.{name}"), (folder(dataset), name)]
            return spots

        def wanted(key: Path | str) -> bool:
            return only is None or (key[-1] if isinstance(key, tuple) else key) in only

        relations = dict(self.state.relations)
        relations.update({(name,): relation for name, relation in self.temporary.items()})
        for key, relation in relations.items():
            if not wanted(key):
                continue
            for catalog, name in places(key):
                catalog.table.append(_table(name, relation))

        for key, routine in self.state.routines.items():
            if not wanted(key):
                continue
            for catalog, name in places(key):
                if routine.kind == "procedure":
                    catalog.procedure.append(
                        ProcedureProto(name_path=[name], signature=routine.signature)
                    )
                elif routine.kind == "table function":
                    catalog.custom_tvf.append(
                        TableValuedFunctionProto(
                            name_path=[name],
                            signature=routine.signature,
                            type=function_pb2.FunctionEnums.FIXED_OUTPUT_SCHEMA_TVF,
                        )
                    )
                else:
                    mode = (
                        function_pb2.FunctionEnums.AGGREGATE
                        if routine.aggregate
                        else function_pb2.FunctionEnums.SCALAR
                    )
                    catalog.custom_function.append(
                        FunctionProto(
                            name_path=[name], group="UDF", mode=mode, signature=[routine.signature]
                        )
                    )

        for name, kind in self.variables().items():
            if not wanted(name):
                continue
            root.constant.add(name_path=[name], type=kind, value=value_pb2.ValueProto())
        return root


# Catalogs of a few objects each, for plain DDL, kept registered for reuse.
_PLAIN_KEPT = 8

# Ingestion-time partitioned tables have these; giving them to every table costs at most a
# missed error, never a false one.
_PSEUDO_COLUMNS = (
    ("_PARTITIONTIME", type_pb2.TypeProto(type_kind=type_pb2.TYPE_TIMESTAMP)),
    ("_PARTITIONDATE", type_pb2.TypeProto(type_kind=type_pb2.TYPE_DATE)),
)


def _table(name: str, relation: Relation) -> SimpleTableProto:
    table = SimpleTableProto(name=name, allow_duplicate_column_names=True)
    for column, kind in relation.columns:
        table.column.add(name=column, type=kind)
    if relation.kind == "table":
        for column, kind in _PSEUDO_COLUMNS:
            table.column.add(name=column, type=kind, is_pseudo_column=True)
    return table


def catalog_signature(signature: FunctionSignatureProto, procedure: bool) -> FunctionSignatureProto:
    """A signature from a CREATE statement, in the form a catalog accepts.

    Every argument and the return type need one occurrence, or the module aborts on an
    internal check; a procedure's VOID return type aborts it too, so procedures get a fixed
    one (CALL never uses it).
    """
    result = FunctionSignatureProto()
    result.CopyFrom(signature)
    for argument in result.argument:
        argument.num_occurrences = 1
        argument.options.ClearField("argument_type_parse_location")
        argument.options.ClearField("argument_name_parse_location")
    result.return_type.num_occurrences = 1
    result.return_type.options.ClearField("argument_type_parse_location")
    if procedure:
        result.return_type.kind = function_pb2.ARG_TYPE_FIXED
        result.return_type.type.CopyFrom(type_pb2.TypeProto(type_kind=type_pb2.TYPE_INT64))
    return result
