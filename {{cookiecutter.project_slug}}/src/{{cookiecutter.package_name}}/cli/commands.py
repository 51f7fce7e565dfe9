"""How a module of the CLI declares its commands: each handler with its help and arguments."""

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Handler = Callable[[argparse.Namespace], int | None]


@dataclass(frozen=True)
class Argument:
    flags: tuple[str, ...]
    options: dict[str, Any]


def argument(*flags: str, **options: Any) -> Argument:
    """One argument of a command, as `ArgumentParser.add_argument` takes it."""
    return Argument(flags, options)


@dataclass(frozen=True)
class Command:
    name: str
    handler: Handler
    help: str
    arguments: tuple[Argument, ...] = ()
    epilog: str | None = None

    def add_to(self, commands: "argparse._SubParsersAction") -> None:
        parser = commands.add_parser(
            self.name, help=self.help, description=self.help, epilog=self.epilog
        )
        parser.set_defaults(handler=self.handler)
        for declared in self.arguments:
            parser.add_argument(*declared.flags, **declared.options)


@dataclass
class Commands:
    """A module's commands, in the order `--help` lists them."""

    declared: list[Command] = field(default_factory=list)

    def command(
        self, name: str, help: str, *arguments: Argument, epilog: str | None = None
    ) -> Callable[[Handler], Handler]:
        """Declare the function below as the handler of command `name`."""

        def declare(handler: Handler) -> Handler:
            self.declared.append(Command(name, handler, help, arguments, epilog))
            return handler

        return declare
