"""Jinja extensions the template loads through cookiecutter.json's `_extensions`.

cookiecutter renders every answer given on its command line (`--no-input name=value`), in
`extra_context` or in a user's configuration as a Jinja template, and it does so before any
hook runs; `cruft update` and `cruft diff` do the same with the answers a project keeps in
.cruft.json. Jinja's default environment lets a template reach Python's internals (an answer
such as `{{ cycler.__init__.__globals__.os.system(...) }}` runs a command), so no hook can
stop that code: the environment itself must refuse it. Both tools create their Jinja
environments with the template's extensions, and extensions are loaded before anything is
rendered, so the extension below puts each environment in Jinja's sandbox as it is created.
"""

from jinja2 import Environment
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.ext import Extension
from jinja2.sandbox import ImmutableSandboxedEnvironment, safe_range


class UnsafeTemplateError(SecurityError, UndefinedError):
    """What the sandbox refused. Also an `UndefinedError`, the one rendering error cookiecutter
    reports as a message naming the variable rather than as a traceback."""


class Sandboxed(ImmutableSandboxedEnvironment):
    """Jinja's sandbox, raising `UnsafeTemplateError` for what it refuses."""

    def unsafe_undefined(self, obj, attribute):
        return self.undefined(
            f"access to attribute {attribute!r} of {type(obj).__name__!r} object is unsafe",
            name=attribute,
            obj=obj,
            exc=UnsafeTemplateError,
        )

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 (Jinja's own signature)
        # Double underscores, as Jinja's, so that no keyword argument of the call collides.
        if not __self.is_safe_callable(__obj):
            raise UnsafeTemplateError(f"{__obj!r} is not safely callable")
        return super().call(__context, __obj, *args, **kwargs)


class Sandbox(Extension):
    """Turn the environment that loads this extension into a sandboxed one.

    cookiecutter chooses the environment's class itself, so the extension changes the class of
    the instance: to one that is both the sandbox and cookiecutter's own class, with the state
    the sandbox's constructor would have set.
    """

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        cls = type(environment)
        environment.__class__ = type(f"Sandboxed{cls.__name__}", (Sandboxed, cls), {})
        environment.globals["range"] = safe_range
        environment.binop_table = Sandboxed.default_binop_table.copy()
        environment.unop_table = Sandboxed.default_unop_table.copy()
