"""Starting the reader: pick the library, open it with plain-words errors, run the app."""

from __future__ import annotations

import argparse
import dataclasses
import gc
import shutil
import sys
from pathlib import Path


def run_app(args: argparse.Namespace) -> int:
    # Until the first frame, nearly every object made (Textual's modules, the library's
    # articles) lives as long as the app: the cyclic collector would only scan them again
    # and again (a fifth of start-up). The app turns it back on after its first frame
    # (`TuiReader._started`); that is also why the imports below are here, not at the top.
    gc.disable()
    try:
        from .paths import library_dir

        scratch: Path | None = None
        if args.demo:
            from .demo_library import make_demo_library, remove_stale_demos

            remove_stale_demos()  # copies left by demos killed instead of quit
            directory = scratch = make_demo_library()
        else:
            directory = library_dir(args.db)
        try:
            return _run(directory, args)
        finally:
            if scratch is not None:
                # The demo is a scratch copy: nothing in it is worth keeping.
                shutil.rmtree(scratch, ignore_errors=True)
    finally:
        gc.enable()


def _run(directory: Path, args: argparse.Namespace) -> int:
    from .config import apply_to_store, load_config
    from .paths import config_file
    from .store import LibraryCorrupt, LibraryLocked, Store, StoreError

    served = getattr(args, "served", False)
    try:
        if served:  # a browser tab (`tui-reader serve`): a reloaded tab's reader may be closing
            from .serve import prepare_served_reader, wait_for_library

            prepare_served_reader()
            store = wait_for_library(directory, Store.open)
        else:
            store = Store.open(directory)
    except (LibraryLocked, LibraryCorrupt, StoreError) as exc:
        print(f"tui-reader: {exc}", file=sys.stderr)
        if served:  # a page that says why, not "Session ended"
            from .serve import show_open_failure

            return show_open_failure(directory, exc, isinstance(exc, LibraryLocked))
        return 2
    config = load_config(config_file(args.config))
    apply_to_store(config, store)
    if config.inline_images:
        # textual-image asks the terminal what it can draw when it is imported, and the
        # answer can only be read before Textual owns stdin: so here, before `app.run()`,
        # and only for users who asked for images.
        from .screens.image_view import prepare_inline_images

        problem = prepare_inline_images()
        if problem:
            config = dataclasses.replace(config, warnings=(*config.warnings, problem))
    from .app import TuiReader

    app = TuiReader(store, config)
    try:
        app.run()
    finally:
        try:
            store.close()
        except StoreError as exc:
            print(f"tui-reader: {exc}", file=sys.stderr)
            return 1
    return app.return_code or 0
