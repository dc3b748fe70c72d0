"""The catalog as each statement leaves the dataset, learnt from the analyzer's answers.

A CREATE adds the columns, output columns or signature GoogleSQL resolved; ALTER TABLE changes
columns; DROP and RENAME remove and move objects. A plain CREATE of an object that exists and
a DROP without IF EXISTS of one that does not are reported: BigQuery refuses both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from zetasql.wasi._pb2.zetasql.resolved_ast.resolved_ast_enums_pb2 import (
    ResolvedCreateStatementEnums,
)
from zetasql.wasi._pb2.zetasql.resolved_ast.resolved_ast_pb2 import AnyResolvedStatementProto

from eros_migrate.check.catalog import (
    Catalog,
    Column,
    Path,
    Relation,
    Routine,
    catalog_signature,
)
from eros_migrate.check.positions import Text
from eros_migrate.findings import Severity

RULE = "check"

Report = Callable[[Text, Severity, str, str], None]


class Learner:
    """Applies what each analysed statement does to the catalog."""

    def __init__(self, catalog: Catalog, report: Report, where: Callable[[Text], str]) -> None:
        self.catalog = catalog
        self.report = report
        self.where = where

    def creatable(self, key: Path, mode: int, kind: str, piece: Text) -> bool:
        """Whether a CREATE takes effect; reports a plain CREATE of an existing object."""
        if mode == ResolvedCreateStatementEnums.CREATE_IF_NOT_EXISTS:
            return not self.catalog.exists(key)
        if mode == ResolvedCreateStatementEnums.CREATE_DEFAULT and self.catalog.exists(key):
            self.report(
                piece, "error", RULE,
                f"{kind} {self.catalog.display(key)} already exists at this point of the chain; "
                "BigQuery refuses a plain CREATE: use CREATE OR REPLACE or IF NOT EXISTS",
            )
            return False
        return True

    def learn(self, resolved: AnyResolvedStatementProto, piece: Text) -> None:
        node = resolved.WhichOneof("node")
        if node == "resolved_create_statement_node":
            self._create(resolved.resolved_create_statement_node, piece)
        elif node == "resolved_alter_object_stmt_node":
            alter = resolved.resolved_alter_object_stmt_node
            if alter.WhichOneof("node") == "resolved_alter_table_stmt_node":
                self._alter(alter.resolved_alter_table_stmt_node.parent)
        elif node == "resolved_drop_stmt_node":
            drop = resolved.resolved_drop_stmt_node
            self.learn_drop(drop.object_type, list(drop.name_path), drop.is_if_exists, piece)
        elif node == "resolved_drop_function_stmt_node":
            dropped = resolved.resolved_drop_function_stmt_node
            self.learn_drop("FUNCTION", list(dropped.name_path), dropped.is_if_exists, piece)
        elif node == "resolved_drop_table_function_stmt_node":
            function = resolved.resolved_drop_table_function_stmt_node
            self.learn_drop(
                "TABLE FUNCTION", list(function.name_path), function.is_if_exists, piece
            )
        elif node == "resolved_drop_materialized_view_stmt_node":
            view = resolved.resolved_drop_materialized_view_stmt_node
            self.learn_drop("MATERIALIZED VIEW", list(view.name_path), view.is_if_exists, piece)
        elif node == "resolved_rename_stmt_node":
            rename = resolved.resolved_rename_stmt_node
            self._rename(self.catalog.path(rename.old_name_path), rename.new_name_path)

    def _create(self, create: object, piece: Text) -> None:
        from zetasql.wasi._pb2.zetasql.resolved_ast.resolved_ast_pb2 import (
            AnyResolvedCreateStatementProto,
        )

        assert isinstance(create, AnyResolvedCreateStatementProto)
        kind = create.WhichOneof("node")
        where = self.where(piece)
        if kind == "resolved_create_table_stmt_base_node":
            holder = create.resolved_create_table_stmt_base_node
            statement = getattr(holder, str(holder.WhichOneof("node")))
            table = statement.parent
            header = table.parent
            columns = [(column.name, column.type) for column in table.column_definition_list]
            if not columns:
                columns = copied_columns(statement)
            relation = Relation("table", columns, where)
        elif kind == "resolved_create_view_base_node":
            holder = create.resolved_create_view_base_node
            view = getattr(holder, str(holder.WhichOneof("node"))).parent
            header = view.parent
            columns = [(column.name, column.column.type) for column in view.output_column_list]
            relation = Relation("view", columns, where)
        elif kind == "resolved_create_function_stmt_node":
            function = create.resolved_create_function_stmt_node
            header = function.parent
            key = self.catalog.path(header.name_path)
            if self.creatable(key, header.create_mode, "function", piece):
                signature = catalog_signature(function.signature, False)
                self.catalog.put_routine(
                    key, Routine("function", signature, where, function.is_aggregate)
                )
            return
        elif kind == "resolved_create_table_function_stmt_node":
            table_function = create.resolved_create_table_function_stmt_node
            header = table_function.parent
            key = self.catalog.path(header.name_path)
            if self.creatable(key, header.create_mode, "table function", piece):
                signature = catalog_signature(table_function.signature, False)
                schema = signature.return_type.options.relation_input_schema
                if not schema.column:
                    for output in table_function.output_column_list:
                        schema.column.add(name=output.name, type=output.column.type)
                self.catalog.put_routine(key, Routine("table function", signature, where))
            return
        elif kind == "resolved_create_procedure_stmt_node":
            procedure = create.resolved_create_procedure_stmt_node
            header = procedure.parent
            key = self.catalog.path(header.name_path)
            if self.creatable(key, header.create_mode, "procedure", piece):
                signature = catalog_signature(procedure.signature, True)
                self.catalog.put_routine(key, Routine("procedure", signature, where))
            return
        else:
            # Table functions, models, schemas: known to exist, not modelled.
            inner = getattr(create, str(kind))
            header = getattr(inner, "parent", None)
            name_path = getattr(header, "name_path", None)
            if header is not None and name_path:
                key = self.catalog.path(list(name_path))
                if self.creatable(key, header.create_mode, "object", piece):
                    self.catalog.put_opaque(key, str(kind))
            return

        key = self.catalog.path(header.name_path)
        if not self.creatable(key, header.create_mode, relation.kind, piece):
            return
        if relation.columns:
            self.catalog.put_relation(key, relation)
        else:
            # An external table whose schema BigQuery detects from its files.
            self.catalog.put_opaque(key, "columns unknown")

    def _alter(self, alter: object) -> None:
        from zetasql.wasi._pb2.zetasql.resolved_ast.resolved_ast_pb2 import (
            ResolvedAlterObjectStmtProto,
        )

        assert isinstance(alter, ResolvedAlterObjectStmtProto)
        key = self.catalog.path(alter.name_path)
        relation = self.catalog.relation(key)
        if relation is None:
            return

        for holder in alter.alter_action_list:
            action = holder.WhichOneof("node")
            if action == "resolved_add_column_action_node":
                column = holder.resolved_add_column_action_node.column_definition
                if relation.column(column.name) is None:
                    relation.columns.append((column.name, column.type))
            elif action == "resolved_drop_column_action_node":
                index = relation.column(holder.resolved_drop_column_action_node.name)
                if index is not None:
                    del relation.columns[index]
            elif action == "resolved_rename_column_action_node":
                rename = holder.resolved_rename_column_action_node
                index = relation.column(rename.name)
                if index is not None:
                    relation.columns[index] = (rename.new_name, relation.columns[index][1])
            elif action == "resolved_alter_column_set_data_type_action_node":
                change = holder.resolved_alter_column_set_data_type_action_node
                index = relation.column(change.parent.column)
                if index is not None:
                    relation.columns[index] = (relation.columns[index][0], change.updated_type)
            elif action == "resolved_rename_to_action_node":
                self._rename(key, holder.resolved_rename_to_action_node.new_path)
                return
        self.catalog.put_relation(key, relation)

    def _rename(self, key: Path, new_path: Iterable[str]) -> None:
        relation = self.catalog.relation(key)
        if relation is None:
            return
        self.catalog.remove(key)
        new_key = self.catalog.path(list(new_path))
        if len(new_key) < 3 and len(key) == 3:
            # RENAME TO takes the new name alone; the table stays in its dataset.
            new_key = (key[0], key[1], new_key[-1])
        self.catalog.put_relation(new_key, relation)

    def learn_drop(self, what: str, name_path: list[str], if_exists: bool, piece: Text) -> None:
        key = self.catalog.path(name_path)
        if not self.catalog.exists(key):
            if not if_exists and (len(key) == 1 or self.catalog.in_target(key)):
                self.report(
                    piece, "error", RULE,
                    f"DROP {what} {self.catalog.display(key)}: it does not exist at this point "
                    "of the chain; BigQuery refuses it (add IF EXISTS if that is intended)",
                )
            return
        self.catalog.remove(key)


def copied_columns(statement: object) -> list[Column]:
    """The columns of `CREATE TABLE ... COPY` or `CLONE`: those of the table it reads."""
    fields = statement.DESCRIPTOR.fields_by_name  # type: ignore[attr-defined]
    for field in ("copy_from", "clone_from"):
        if field not in fields or not statement.HasField(field):  # type: ignore[attr-defined]
            continue
        scan = getattr(statement, field)
        kind = scan.WhichOneof("node")
        if kind is None:
            continue
        columns = getattr(scan, kind).parent.column_list
        return [(column.name, column.type) for column in columns]
    return []
