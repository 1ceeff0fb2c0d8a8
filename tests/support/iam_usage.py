"""The IAM actions a function's code needs, found statically, and the ones Terraform grants it.

Code side: starting from every definition in the function's own package (functions/<name>/<name>),
follow first-party imports and build a call graph with rapid type analysis: a method is reachable
when its class is instantiated (or passed around) in reachable code and it is referenced there on
a receiver that can be an instance of it. Receiver types come from the annotations (the code is
mypy --strict clean): self, annotated parameters, fields, return types, and locals assigned from
them; a receiver of unknown type (or Any) matches every live class by method name, which can only
add actions. Every boto3 client operation referenced in a reachable body
(``<...>client.<operation>``) becomes the IAM action that authorizes it; anything the analysis
cannot map raises AnalysisError rather than being ignored.

Terraform side: the function's ``policy_statements`` in functions.tf (with the statement lists
they concatenate) plus the statements the lambda-function module always adds.

Actions the runtime uses on the function's behalf, invisible in code, are derived from how the
function is deployed (see ``runtime_actions``).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import botocore.session
from botocore import xform_name

from tests.support.terraform_source import ROOT, functions, local_value, module_block, parsed

FIRST_PARTY = "babelcast"
COMMON_SOURCES = ROOT / "packages" / "common" / "src"

# IAM prefix of each boto3 service the code may use.
IAM_PREFIX = {
    "dynamodb": "dynamodb",
    "kinesis": "kinesis",
    "apigatewaymanagementapi": "execute-api",
    "lambda": "lambda",
}
# Operations whose IAM action is not <prefix>:<OperationName>.
SPECIAL_ACTIONS = {
    # Every @connections call (post, get, delete) is authorized as one action.
    ("apigatewaymanagementapi", "PostToConnection"): {"execute-api:ManageConnections"},
    ("apigatewaymanagementapi", "GetConnection"): {"execute-api:ManageConnections"},
    ("apigatewaymanagementapi", "DeleteConnection"): {"execute-api:ManageConnections"},
    ("lambda", "Invoke"): {"lambda:InvokeFunction"},
}
# A request signed by hand (babelcast/integration/signed_posts.py) names its service and operation.
SIGNED_REQUEST = "signed_request"
# A transaction is authorized item by item with the single-item actions; the item kinds are read
# from the request literals built in the same function.
TRANSACTION_ITEMS = {
    "TransactWriteItems": {
        "Put": "dynamodb:PutItem",
        "Update": "dynamodb:UpdateItem",
        "Delete": "dynamodb:DeleteItem",
        "ConditionCheck": "dynamodb:ConditionCheckItem",
    },
    "TransactGetItems": {"Get": "dynamodb:GetItem"},
}
# Client attributes that are not API operations.
CLIENT_HELPERS = frozenset({"exceptions", "meta"})

# What the runtime does with the execution role, by trigger, rather than the code:
# - every function: the Lambda runtime writes its output to the function's log group;
# - a DynamoDB / Kinesis stream consumer: the event source mapping reads the stream (and, for
#   enhanced fan-out consumers, subscribes to shards) and sends the record of a batch it gives
#   up on to its on-failure destination;
# - with a customer-managed key on the Kinesis streams, Kinesis uses the caller's KMS permissions:
#   producers need data keys, consumers need to decrypt.
LOG_ACTIONS = frozenset({"logs:CreateLogStream", "logs:PutLogEvents"})
STREAM_READ_ACTIONS = {
    "dynamodb": frozenset(
        {"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"}
    ),
    "kinesis": frozenset(
        {
            "kinesis:DescribeStream",
            "kinesis:DescribeStreamSummary",
            "kinesis:GetRecords",
            "kinesis:GetShardIterator",
            "kinesis:ListShards",
            "kinesis:SubscribeToShard",
        }
    ),
}
ON_FAILURE_DESTINATION_ACTIONS = {"sqs": frozenset({"sqs:SendMessage"}), "sns": frozenset({"sns:Publish"})}
KINESIS_PRODUCER_KMS = frozenset({"kms:GenerateDataKey"})
KINESIS_CONSUMER_KMS = frozenset({"kms:Decrypt"})

_ACTION = re.compile(r'"([a-z0-9-]+:[A-Za-z0-9*]+)"')
_ACTIONS_LIST = re.compile(r"actions\s*=\s*\[([^\]]*)\]")
_STATEMENTS_LOCAL = re.compile(r"local\.(\w+_statements)\b")


class AnalysisError(AssertionError):
    """The code does something the analysis cannot map to IAM actions: extend it, don't guess."""


# --- code side ---------------------------------------------------------------------------------


@dataclass
class _Module:
    name: str
    tree: ast.Module
    is_package: bool
    names: dict[str, str] = field(default_factory=dict)  # local name => qualified name (import)
    definitions: dict[str, ast.AST] = field(default_factory=dict)  # top-level defs and classes


@dataclass
class _Function:
    qualname: str
    module: _Module
    nodes: list[ast.AST]
    owner: str | None  # qualified name of the enclosing class


def _source_path(module: str, function: str) -> Path | None:
    top = module.split(".", maxsplit=1)[0]
    if top == FIRST_PARTY:
        base = COMMON_SOURCES
    elif top == function:
        base = ROOT / "functions" / function
    else:
        return None
    path = base.joinpath(*module.split("."))
    if (path / "__init__.py").exists():
        return path / "__init__.py"
    return path.with_suffix(".py") if path.with_suffix(".py").exists() else None


class _Program:
    """The first-party modules a function imports, with their definitions indexed."""

    def __init__(self, function: str, overrides: Mapping[str, str]) -> None:
        self.function = function
        self.overrides = overrides
        self.modules: dict[str, _Module] = {}
        self.functions: dict[str, _Function] = {}
        self.classes: dict[str, tuple[_Module, ast.ClassDef]] = {}
        self._load(f"{function}.handler")

    def _load(self, name: str) -> None:
        if name in self.modules:
            return
        path = _source_path(name, self.function)
        source = self.overrides[name] if name in self.overrides else (path.read_text() if path else None)
        if source is None:
            return
        module = _Module(name, ast.parse(source), is_package=path is not None and path.name == "__init__.py")
        self.modules[name] = module
        package = name if module.is_package else name.rpartition(".")[0]
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    # `import a.b` binds a; `import a.b as c` binds c to a.b
                    bound = alias.asname or alias.name.split(".", maxsplit=1)[0]
                    module.names[bound] = alias.name if alias.asname else bound
                    self._load(alias.name)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parent, base] if base else parent)
                self._load(base)
                for alias in node.names:
                    module.names[alias.asname or alias.name] = f"{base}.{alias.name}"
                    self._load(f"{base}.{alias.name}")  # a submodule, if it is one
        for node in module.tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                module.definitions[node.name] = node
                self._index_function(f"{name}.{node.name}", module, node, None)
            elif isinstance(node, ast.ClassDef):
                module.definitions[node.name] = node
                qualname = f"{name}.{node.name}"
                self.classes[qualname] = (module, node)
                for item in node.body:
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                        self._index_function(f"{qualname}.{item.name}", module, item, qualname)
        # Code run at import: module statements, decorators, defaults and class bodies.
        self.functions[f"{name}.<module>"] = _Function(
            f"{name}.<module>", module, _import_time_nodes(module.tree), None
        )

    def _index_function(self, qualname: str, module: _Module, node: ast.AST, owner: str | None) -> None:
        self.functions[qualname] = _Function(qualname, module, [node], owner)

    def resolve(self, module: _Module, name: str) -> str | None:
        """Qualified name of a first-party function, class or module a name refers to in a module."""
        if name in module.definitions:
            return f"{module.name}.{name}"
        target = module.names.get(name)
        if target is None:
            return None
        return self._resolve_qualified(target, depth=0)

    def _resolve_qualified(self, qualname: str, depth: int) -> str | None:
        if qualname in self.modules or qualname in self.functions or qualname in self.classes:
            return qualname
        owner, _, attribute = qualname.rpartition(".")
        if owner in self.modules and depth < 5:  # re-exported by an import in that module
            target = self.modules[owner].names.get(attribute)
            return self._resolve_qualified(target, depth + 1) if target else None
        return None

    def bases(self, qualname: str) -> Iterator[str]:
        """The class and its first-party base classes."""
        yield qualname
        module, node = self.classes[qualname]
        for base in node.bases:
            if isinstance(base, ast.Name) and (resolved := self.resolve(module, base.id)) in self.classes:
                yield from self.bases(resolved)

    def methods(self, qualname: str) -> dict[str, str]:
        """Method name => qualified name of its definition, inherited ones included."""
        found: dict[str, str] = {}
        for cls in reversed(list(self.bases(qualname))):
            for item in self.classes[cls][1].body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    found[item.name] = f"{cls}.{item.name}"
        return found

    def is_protocol(self, qualname: str) -> bool:
        return any(isinstance(b, ast.Name) and b.id == "Protocol" for b in self.classes[qualname][1].bases)

    def compatible(self, cls: str, declared: str) -> bool:
        """Whether an instance of cls can be where declared is expected (nominally or structurally)."""
        if declared in self.bases(cls):
            return True
        return self.is_protocol(declared) and set(self.methods(declared)) <= set(self.methods(cls))

    def annotation_classes(self, module: _Module, annotation: ast.expr | None) -> set[str]:
        """First-party classes an annotation names (``T``, ``T | None``, ``"T"``, ``list[T]``)."""
        if annotation is None:
            return set()
        if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
            return self.annotation_classes(module, ast.parse(annotation.value, mode="eval").body)
        if isinstance(annotation, ast.BinOp):
            return self.annotation_classes(module, annotation.left) | self.annotation_classes(module, annotation.right)
        # A container of T is taken for a T: its methods are not first-party, and elements met in
        # a loop or by index are left to the name-based fallback (see _receiver_types).
        if isinstance(annotation, ast.Subscript):
            return self.annotation_classes(module, annotation.slice)
        if isinstance(annotation, ast.Tuple | ast.List):
            return set().union(*[self.annotation_classes(module, e) for e in annotation.elts])
        if isinstance(annotation, ast.Name) and (resolved := self.resolve(module, annotation.id)) in self.classes:
            return {resolved}
        return set()

    @cache  # noqa: B019 - one program per analysis, short-lived
    def attribute_types(self, qualname: str) -> dict[str, set[str]]:
        """Declared first-party types of the instance attributes of a class (fields, and
        ``self.x = x`` from annotated __init__ parameters)."""
        types: dict[str, set[str]] = {}
        for cls in self.bases(qualname):
            module, node = self.classes[cls]
            for item in node.body:
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    types.setdefault(item.target.id, set()).update(self.annotation_classes(module, item.annotation))
                if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                    parameters = {a.arg: a.annotation for a in [*item.args.args, *item.args.kwonlyargs]}
                    for statement in ast.walk(item):
                        if (
                            isinstance(statement, ast.Assign)
                            and isinstance(statement.value, ast.Name)
                            and statement.value.id in parameters
                        ):
                            for target in statement.targets:
                                if isinstance(target, ast.Attribute) and _is_self(target.value):
                                    declared = self.annotation_classes(module, parameters[statement.value.id])
                                    types.setdefault(target.attr, set()).update(declared)
        return {name: classes for name, classes in types.items() if classes}


def _is_self(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == "self"


def _import_time_nodes(tree: ast.Module) -> list[ast.AST]:
    nodes: list[ast.AST] = []
    for statement in tree.body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            nodes.extend([*statement.decorator_list, *statement.args.defaults])
        elif isinstance(statement, ast.ClassDef):
            nodes.extend([*statement.decorator_list, *statement.bases])
            nodes.extend(_import_time_nodes(ast.Module(body=statement.body, type_ignores=[])))
        elif not isinstance(statement, ast.Import | ast.ImportFrom):
            nodes.append(statement)
    return nodes


def _walk(node: ast.AST) -> Iterator[ast.AST]:
    """ast.walk without annotations: naming a class in a type hint does not instantiate it."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        for name, value in ast.iter_fields(current):
            if name in {"annotation", "returns"}:
                continue
            children = value if isinstance(value, list) else [value]
            stack.extend(child for child in children if isinstance(child, ast.AST))


def _reachable(program: _Program) -> list[_Function]:
    """Rapid type analysis over the first-party code, from the function package's definitions."""
    roots = [
        qualname
        for qualname, function in program.functions.items()
        if function.module.name.split(".")[0] == program.function or qualname.endswith(".<module>")
    ]
    reached: set[str] = set()
    pending = list(roots)
    live_classes: set[str] = set()
    # Method names referenced on receivers of unknown type, and (declared class, name) pairs for
    # receivers whose type is declared (self, or an annotated attribute of self).
    attributes: set[str] = set()
    typed: set[tuple[str, str]] = set()
    while pending:
        while pending:
            qualname = pending.pop()
            if qualname in reached:
                continue
            reached.add(qualname)
            function = program.functions[qualname]
            for root in function.nodes:
                for node in _walk(root):
                    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                        target = node.id
                        if target == "cls" and function.owner:
                            live_classes.add(function.owner)
                            continue
                        resolved = program.resolve(function.module, target)
                        if resolved in program.functions:
                            pending.append(resolved)
                        elif resolved in program.classes:
                            live_classes.add(resolved)
                    elif isinstance(node, ast.Attribute):
                        declared = _receiver_types(program, function, node.value)
                        if declared is None:
                            attributes.add(node.attr)
                        typed.update((cls, node.attr) for cls in declared or ())
                        if isinstance(node.value, ast.Name):
                            owner = program.resolve(function.module, node.value.id)
                            if owner in program.modules:
                                resolved = program.resolve(program.modules[owner], node.attr)
                                if resolved in program.functions:
                                    pending.append(resolved)
                                elif resolved in program.classes:
                                    live_classes.add(resolved)
        # Methods of live classes (inherited ones included) referenced on a receiver they can be:
        # by name when its type is unknown, by declared type otherwise; and every dunder.
        for live in sorted(live_classes):
            for name, qualname in program.methods(live).items():
                dunder = name.startswith("__") and name.endswith("__")
                referenced = name in attributes or any(
                    method == name and program.compatible(live, cls) for cls, method in typed
                )
                if (dunder or referenced) and qualname not in reached:
                    pending.append(qualname)
    return [program.functions[q] for q in sorted(reached)]


_LITERALS = (ast.Constant, ast.JoinedStr, ast.Dict, ast.List, ast.Set, ast.Tuple, ast.DictComp, ast.ListComp)


def _receiver_types(program: _Program, function: _Function, receiver: ast.expr, depth: int = 0) -> set[str] | None:
    """The first-party classes an expression may be an instance of, from declared types (the code
    is mypy --strict clean, so parameters, returns and fields are annotated): an empty set for a
    value of a non-first-party type (dict, str, a boto3 client...), None when not inferable."""
    if depth > 8:
        return None
    module = function.module

    def declared(annotation: ast.expr | None) -> set[str] | None:
        return _declared_classes(program, module, annotation)

    def of(expression: ast.expr) -> set[str] | None:
        return _receiver_types(program, function, expression, depth + 1)

    if isinstance(receiver, _LITERALS):
        return set()
    if isinstance(receiver, ast.BoolOp):
        parts = [of(value) for value in receiver.values]
        return None if any(p is None for p in parts) else set().union(*[p for p in parts if p is not None])
    if isinstance(receiver, ast.Name):
        if _is_self(receiver) and function.owner:
            return {function.owner}
        if receiver.id in module.names and not module.names[receiver.id].startswith(f"{FIRST_PARTY}."):
            return set()  # a third-party or standard library import (first-party names resolve above)
        return _local_types(program, function, receiver.id, depth)
    if isinstance(receiver, ast.Attribute | ast.Subscript):
        owner = of(receiver.value)
        if owner is None or isinstance(receiver, ast.Subscript):
            return None if owner is None or owner else set()
        if not owner:
            return set()
        found: set[str] = set()
        for cls in owner:
            attribute = program.attribute_types(cls).get(receiver.attr)
            method = program.methods(cls).get(receiver.attr)
            if attribute:
                found |= attribute
            elif method and isinstance(node := program.functions[method].nodes[0], ast.FunctionDef):
                result = declared(node.returns)  # a property
                if result is None:
                    return None
                found |= result
            else:
                return None
        return found
    if isinstance(receiver, ast.Call):
        if isinstance(receiver.func, ast.Name):
            resolved = program.resolve(module, receiver.func.id)
            if resolved in program.classes:
                return {resolved}
            if resolved in program.functions and isinstance(
                node := program.functions[resolved].nodes[0], ast.FunctionDef
            ):
                return declared(node.returns)
            return None
        if isinstance(receiver.func, ast.Attribute):
            owner = of(receiver.func.value)
            if owner is None:
                return None
            if not owner:
                return set()
            found = set()
            for cls in owner:
                method = program.methods(cls).get(receiver.func.attr)
                if method is None or not isinstance(node := program.functions[method].nodes[0], ast.FunctionDef):
                    return None
                result = declared(node.returns)
                if result is None:
                    return None
                found |= result
            return found
    return None


def _declared_classes(program: _Program, module: _Module, annotation: ast.expr | None) -> set[str] | None:
    """Classes of a declared type; None when undeclared or Any (could be anything)."""
    if annotation is None or (isinstance(annotation, ast.Name) and annotation.id == "Any"):
        return None
    return program.annotation_classes(module, annotation)


def _local_types(program: _Program, function: _Function, name: str, depth: int) -> set[str] | None:
    """Types of a parameter or local of the function from its annotation, or the values assigned to it."""
    root = function.nodes[0]
    if not isinstance(root, ast.FunctionDef | ast.AsyncFunctionDef):
        return None
    arguments = [*root.args.posonlyargs, *root.args.args, *root.args.kwonlyargs]
    for argument in arguments:
        if argument.arg == name:
            return _declared_classes(program, function.module, argument.annotation)
    found: set[str] = set()
    bound = False
    for node in ast.walk(root):
        value: ast.expr | None = None
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            value = node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == name:
            bound, found = True, found | program.annotation_classes(function.module, node.annotation)
            continue
        elif isinstance(node, ast.For) and isinstance(node.target, ast.Name) and node.target.id == name:
            iterated = _receiver_types(program, function, node.iter, depth + 1)
            if iterated is None or iterated:
                return None  # elements of a first-party iterable: not declared here
            bound = True
            continue
        else:
            continue
        result = _receiver_types(program, function, value, depth + 1)
        if result is None:
            return None
        bound, found = True, found | result
    return found if bound else None


@cache
def _operations(service: str) -> dict[str, str]:
    model = botocore.session.get_session().get_service_model(service)
    return {xform_name(name): name for name in model.operation_names}


def _created_services(functions_: list[_Function]) -> set[str]:
    services = set()
    for function in functions_:
        for root in function.nodes:
            for node in _walk(root):
                if not isinstance(node, ast.Call):
                    continue
                # session.client("svc", ...) or a helper around it, e.g. _client("svc", ...)
                called = getattr(node.func, "attr", None) or getattr(node.func, "id", "")
                if (
                    called in {"client", "_client"}
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                ):
                    services.add(node.args[0].value)
    return services


def _signed_operation(node: ast.AST) -> tuple[str, str] | None:
    """(service, operation) of a ``signed_request("<service>", "<Operation>", ...)`` call."""
    if not isinstance(node, ast.Call):
        return None
    called = getattr(node.func, "attr", None) or getattr(node.func, "id", "")
    if called != SIGNED_REQUEST:
        return None
    names = [a.value for a in node.args[:2] if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    if len(names) != 2 or names[0] not in IAM_PREFIX or names[1] not in _operations(names[0]).values():
        raise AnalysisError(f"{ast.unparse(node)}: name the service and operation as literals")
    return names[0], names[1]


def _transaction_item_kinds(function: _Function) -> set[str]:
    kinds: set[str] = set()
    for root in function.nodes:
        for node in _walk(root):
            if isinstance(node, ast.Dict):
                kinds.update(k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str))
    return kinds


def code_actions(function: str, overrides: Mapping[str, str] | None = None) -> dict[str, set[str]]:
    """IAM action => the reachable definitions whose AWS calls need it. ``overrides`` replaces the
    source of modules by name (tests of the analysis)."""
    if not overrides:
        return {action: set(where) for action, where in _code_actions(function).items()}
    return _analyse(function, overrides)


@cache
def _code_actions(function: str) -> dict[str, set[str]]:
    return _analyse(function, {})


def _analyse(function: str, overrides: Mapping[str, str]) -> dict[str, set[str]]:
    program = _Program(function, overrides)
    reachable = _reachable(program)
    services = _created_services(reachable)
    unknown = services - set(IAM_PREFIX)
    if unknown:
        raise AnalysisError(f"clients of {sorted(unknown)} are created: add their IAM prefix to IAM_PREFIX")
    actions: dict[str, set[str]] = {}
    for definition in reachable:
        for root in definition.nodes:
            for node in _walk(root):
                signed = _signed_operation(node)
                if signed is not None:
                    needed = SPECIAL_ACTIONS.get(signed, {f"{IAM_PREFIX[signed[0]]}:{signed[1]}"})
                    for action in needed:
                        actions.setdefault(action, set()).add(definition.qualname)
                    continue
                if not isinstance(node, ast.Attribute) or node.attr in CLIENT_HELPERS:
                    continue
                receiver = ast.unparse(node.value)
                if not re.search(r"client(\(.*\))?$", receiver):
                    continue
                matches = [(s, _operations(s)[node.attr]) for s in sorted(services) if node.attr in _operations(s)]
                if len(matches) != 1:
                    where = f"{definition.qualname}: {receiver}.{node.attr}"
                    raise AnalysisError(f"{where} matches {len(matches)} operations of {sorted(services)}")
                service, operation = matches[0]
                if operation in TRANSACTION_ITEMS:
                    items = TRANSACTION_ITEMS[operation]
                    needed = {items[k] for k in _transaction_item_kinds(definition) if k in items}
                    if not needed:
                        raise AnalysisError(f"{definition.qualname}: {operation} items not found in the function")
                else:
                    needed = SPECIAL_ACTIONS.get((service, operation), {f"{IAM_PREFIX[service]}:{operation}"})
                for action in needed:
                    actions.setdefault(action, set()).add(definition.qualname)
    return actions


# --- Terraform side ----------------------------------------------------------------------------


def _statement_actions(statements: Any) -> set[str]:
    """Actions of a statement list: parsed HCL (a list of objects) or an expression string."""
    if isinstance(statements, list):
        found: set[str] = set()
        for statement in statements:
            found.update(statement["actions"] if isinstance(statement, dict) else _statement_actions(statement))
        return found
    text = str(statements)
    found = {a for body in _ACTIONS_LIST.findall(text) for a in _ACTION.findall(body)}
    for name in _STATEMENTS_LOCAL.findall(text):
        found |= _statement_actions(local_value("functions.tf", name))
    return found


def granted_actions(function: str, declared: Mapping[str, Mapping[str, Any]] | None = None) -> set[str]:
    """Every action the function's role may be granted: its policy_statements (conditional ones,
    e.g. KMS with a customer-managed key, included) and the module's own statements."""
    declared = declared if declared is not None else functions()
    return _statement_actions(declared[function]["policy_statements"]) | module_statement_actions()


@cache
def module_statement_actions() -> set[str]:
    """Actions the lambda-function module grants every function: its fixed statements, and the
    tracing one when the root module turns tracing on (var.lambda_tracing_mode, Active by default)."""
    actions: set[str] = set()
    for block in parsed("modules/lambda-function/main.tf")["data"]:
        document = block.get("aws_iam_policy_document", {}).get("this") or {}
        for statement in document.get("statement", []):
            actions.update(statement["actions"])
        for dynamic in document.get("dynamic", []):
            generated = dynamic["statement"]
            if "var.tracing_mode" in generated["for_each"] and tracing_enabled():
                actions.update(*[content["actions"] for content in generated["content"]])
    return actions


def tracing_enabled() -> bool:
    """Whether the functions are deployed with X-Ray tracing configured (Active unless a workspace
    overrides lambda_tracing_mode; the conditional grant is counted like the KMS ones)."""
    return "tracing_mode" in module_block("functions.tf", "functions")


def stream_consumers() -> dict[str, str]:
    """Function key => source kind ("dynamodb" or "kinesis") of the stream its mapping reads."""
    sources: dict[str, str] = local_value("triggers.tf", "stream_consumers")
    return {key: "dynamodb" if "table.stream_arn" in arn else "kinesis" for key, arn in sources.items()}


def on_failure_destination_kind() -> str | None:
    for block in parsed("triggers.tf")["resource"]:
        mapping = block.get("aws_lambda_event_source_mapping", {}).get("streams")
        if mapping and mapping.get("destination_config"):
            arn = str(mapping["destination_config"][0]["on_failure"][0]["destination_arn"])
            return "sqs" if "aws_sqs_queue." in arn else "sns"
    return None


def runtime_actions(function: str, used: set[str]) -> set[str]:
    """What the runtime needs for this function besides its code's calls (see the module docstring)."""
    needed = set(LOG_ACTIONS)
    if tracing_enabled():
        needed |= {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
    source = stream_consumers().get(function)
    if source is not None:
        needed |= STREAM_READ_ACTIONS[source]
        destination = on_failure_destination_kind()
        if destination is not None:
            needed |= ON_FAILURE_DESTINATION_ACTIONS[destination]
    if "kinesis:PutRecord" in used or "kinesis:PutRecords" in used:
        needed |= KINESIS_PRODUCER_KMS
    if source == "kinesis":
        needed |= KINESIS_CONSUMER_KMS
    return needed


@dataclass(frozen=True)
class Drift:
    missing: set[str]  # needed but not granted: the function would be denied
    extra: set[str]  # granted but never needed: least privilege broken

    def __bool__(self) -> bool:
        return bool(self.missing or self.extra)


def compare(granted: set[str], needed: set[str]) -> Drift:
    return Drift(missing=needed - granted, extra=granted - needed)
