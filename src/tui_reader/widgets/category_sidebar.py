"""The sidebar: smart views, then folders (categories; "Tech/Python" sits inside "Tech")
that open to their subfolders and feeds, each row with its count.

Names are cut with an ellipsis to leave room for the count, which is never cut: counts are
right-aligned at the sidebar's edge, so they line up in a column at every depth.

Labels are built as `rich.text.Text` objects from sanitised strings, never from markup
strings (`Tree` parses a `str` label as markup, so `process_label` refuses to).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.message import Message
from textual.reactive import var
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from ..models import Feed
from ..text import clean_line
from ..views import SMART_VIEWS, View, folder_path

BROKEN_MARK = "⚠ "
SAVED_MARK = "⌕ "


class CategorySidebar(Tree[View]):
    """Smart views, categories and feeds. Enter (or a click) posts `ViewChosen`."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="sidebar.down"),
        Binding("k", "cursor_up", "Up", show=False, id="sidebar.up"),
        Binding("l,right", "expand", "Open folder", show=False, id="sidebar.expand"),
        Binding("h,left", "collapse", "Close folder", show=False, id="sidebar.collapse"),
        Binding("enter", "select_cursor", "Show", id="sidebar.show"),
    ]

    DEFAULT_CSS = """
    CategorySidebar { background: $surface; }
    """

    # Counts by `View.node_id`: bound from `MainScreen.counts` (`data_bind`).
    counts: var[dict[str, int]] = var(dict, init=False)

    @dataclass(eq=False)
    class ViewChosen(Message):
        """A row was chosen (Enter or a click): show `view`."""

        view: View

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("Library", id=id, classes=classes)
        self.show_root = False
        self.auto_expand = False
        self.guide_depth = 2
        self._view_nodes: dict[str, TreeNode[View]] = {}
        self._counts: dict[str, int] = {}
        self._broken: dict[str, bool] = {}  # node id -> the feed's last fetch failed
        self._feeds_by_category: dict[str, list[Feed]] = {}
        self._subfolders: dict[str, list[str]] = {}  # folder -> its folders, sorted
        self._category_of: dict[str, str] = {}  # feed id -> category

    def process_label(self, label: str | Text) -> Text:  # type: ignore[override]
        # Never parse markup: a str label is shown literally.
        if isinstance(label, str):
            return Text(clean_line(label), no_wrap=True, overflow="ellipsis")
        label.no_wrap = True
        label.overflow = "ellipsis"
        return label

    # ---------------------------------------------------------------- building

    def rebuild(
        self,
        feeds: Iterable[Feed],
        counts: Mapping[str, int],
        saved: Iterable[tuple[str, str]] = (),
    ) -> None:
        """Rebuild rows for `feeds` and the saved searches `(name, query)`, keeping the
        cursor and open folders where they were."""
        cursor_view = self.cursor_node.data if self.cursor_node is not None else None
        expanded = {
            key for key, node in self._view_nodes.items() if node.is_expanded and node.children
        }
        self.clear()
        self._view_nodes = {}
        self._broken = {}
        self._counts = dict(counts)
        for kind, label in SMART_VIEWS:
            view = View(kind, label=label)
            self._add(self.root, view, allow_expand=False)
        for name, query in saved:
            self._add(self.root, View("saved", query, label=name), allow_expand=False)
        by_category: dict[str, list[Feed]] = {}
        self._category_of = {}
        for feed in feeds:
            by_category.setdefault(feed.category, []).append(feed)
            self._category_of[feed.id] = feed.category
        self._feeds_by_category = by_category
        children: dict[str, set[str]] = {"": set()}  # "" is the top level
        for category in by_category:
            path = folder_path(category)
            for parent, folder in zip(["", *path], path, strict=False):
                children.setdefault(parent, set()).add(folder)
        self._subfolders = {
            folder: sorted(subs, key=str.lower) for folder, subs in children.items()
        }
        for folder in self._subfolders[""]:
            node = self._add_folder(self.root, folder)
            self._reopen(node, expanded)
        self.move_to(cursor_view)

    def _add_folder(self, parent: TreeNode[View], folder: str) -> TreeNode[View]:
        label = folder_path(folder)[-1]
        if parent is not self.root:  # inside its parent: the last part of the name
            label = label[len(parent.data.key) + 1 :] if parent.data else label
        return self._add(parent, View("category", folder, label=label), allow_expand=True)

    def _reopen(self, node: TreeNode[View], expanded: set[str]) -> None:
        """Open `node` and its subfolders again if they were open before a rebuild."""
        if node.data is None or node.data.node_id not in expanded:
            return
        self._populate(node)
        node.expand()
        for child in node.children:
            if child.allow_expand:
                self._reopen(child, expanded)

    def _populate(self, node: TreeNode[View]) -> None:
        """Add a folder's subfolders and feed rows, the first time it is opened. With
        2,000 feeds in the library, building every row up front was a quarter of the
        first paint."""
        view = node.data
        if view is None or view.kind != "category" or node.children:
            return
        for folder in self._subfolders.get(view.key, []):
            self._add_folder(node, folder)
        feeds = self._feeds_by_category.get(view.key, [])
        for feed in sorted(feeds, key=lambda f: f.display_title.lower()):
            feed_view = View("feed", feed.id, label=feed.display_title)
            self._add(node, feed_view, allow_expand=False, broken=feed.is_broken)

    @on(Tree.NodeExpanded)
    def _node_expanded(self, event: Tree.NodeExpanded[View]) -> None:
        self._populate(event.node)

    def _add(
        self, parent: TreeNode[View], view: View, *, allow_expand: bool, broken: bool = False
    ) -> TreeNode[View]:
        label = self._label(view, broken)
        if allow_expand:
            node = parent.add(label, data=view, allow_expand=True)
        else:
            node = parent.add_leaf(label, data=view)
        self._view_nodes[view.node_id] = node
        self._broken[view.node_id] = broken
        return node

    def _label(self, view: View, broken: bool = False) -> Text:
        """The row's name (with its marks), then its count."""
        count = self._counts.get(view.node_id, 0)
        name = clean_line(view.label, 200) or "(untitled)"
        text = Text(no_wrap=True, overflow="ellipsis")
        if broken:
            text.append(BROKEN_MARK, style="bold red")
        if view.kind == "saved":
            text.append(SAVED_MARK, style="dim")
        text.append(name, style="bold" if count and view.kind != "starred" else "")
        if count:  # kept apart by `render_label`, which lines the counts up
            text.append(f" {count}", style="dim")
        return text

    def render_label(self, node: TreeNode[View], base_style: Style, style: Style) -> Text:
        """The name cut to fit, then the count right-aligned at the edge (never cut)."""
        label = super().render_label(node, base_style, style)
        count = self._counts.get(node.data.node_id, 0) if node.data is not None else 0
        count_length = len(f" {count}") if count else 0
        depth = 0
        parent = node.parent
        while parent is not None and parent is not self.root:
            depth += 1
            parent = parent.parent
        room = self.scrollable_content_region.width - depth * self.guide_depth
        name_room = room - count_length
        if name_room <= 0 or (not count_length and label.cell_len <= room):
            return label  # not laid out yet, or nothing to line up or cut
        name = label[: len(label) - count_length] if count_length else label
        name.truncate(name_room, overflow="ellipsis", pad=True)
        if count_length:
            name.append_text(label[len(label) - count_length :])
        return name

    def get_label_width(self, node: TreeNode[View]) -> int:
        # Labels are fitted to the width in `render_label`: nothing scrolls sideways.
        return 0

    def node_for(self, node_id: str) -> TreeNode[View] | None:
        """The row of the view whose `View.node_id` is `node_id` (None if not built yet:
        a category's feed rows are made when it is first opened)."""
        return self._view_nodes.get(node_id)

    def nodes(self) -> list[TreeNode[View]]:
        """Every row built so far."""
        return list(self._view_nodes.values())

    def watch_counts(self, counts: dict[str, int]) -> None:
        self.update_counts(counts)

    def update_counts(self, counts: Mapping[str, int]) -> None:
        """Change the counts shown (keyed by `View.node_id`), relabelling only what changed."""
        for key, count in counts.items():
            if self._counts.get(key) == count:
                continue
            self._counts[key] = count
            node = self._view_nodes.get(key)
            if node is not None and node.data is not None:
                node.set_label(self._label(node.data, self._broken.get(key, False)))

    def move_to(self, view: View | None) -> None:
        """Put the cursor on the row of `view` (All when it is gone)."""
        key = view.node_id if view is not None else "all:"
        if view is not None and key not in self._view_nodes:
            # Not built yet: open the folders it sits in, outermost first.
            category = self._category_of.get(view.key) if view.kind == "feed" else view.key
            if view.kind in ("feed", "category") and category is not None:
                for folder in folder_path(category):
                    folder_node = self._view_nodes.get(f"category:{folder}")
                    if folder_node is not None:
                        self._populate(folder_node)
        node = self._view_nodes.get(key) or self._view_nodes.get("all:")
        if node is None:
            return
        parent = node.parent
        while parent is not None and parent is not self.root:
            parent.expand()
            parent = parent.parent
        # Rows get their line numbers when the tree is next laid out; `last_line` numbers
        # them now, so the cursor is on its row in the first frame and keys pressed at once
        # act from there. Once laid out (sizes known), the cursor's row is scrolled into
        # view: wherever the cursor is by then, as keys may have moved it meanwhile.
        if self.last_line >= 0:
            self.move_cursor(node, animate=False)
            self.call_after_refresh(self._scroll_to_cursor)
        else:
            self.call_after_refresh(self._move_cursor_to, node)

    def _move_cursor_to(self, node: TreeNode[View]) -> None:
        self.move_cursor(node, animate=False)

    def _scroll_to_cursor(self) -> None:
        if self.cursor_node is not None:
            self.scroll_to_node(self.cursor_node, animate=False)

    # ---------------------------------------------------------------- actions

    def action_expand(self) -> None:
        node = self.cursor_node
        if node is not None and node.allow_expand:
            self._populate(node)
            node.expand()

    def action_collapse(self) -> None:
        node = self.cursor_node
        if node is None:
            return
        if node.allow_expand and node.is_expanded:
            node.collapse()
        elif node.parent is not None and node.parent is not self.root:
            self.move_cursor(node.parent, animate=False)
            node.parent.collapse()

    @on(Tree.NodeSelected)
    def _node_selected(self, event: Tree.NodeSelected[View]) -> None:
        event.stop()
        if event.node.data is not None:
            self.post_message(self.ViewChosen(event.node.data))
