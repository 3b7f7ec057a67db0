"""Synthetic worlds with products for the next-best-action tests: ``world_2000 = world_fixture(2000)``
in a test module gives a fixture with the folder of a written world, built once per module."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from cxlib.synth.products import assign_items, taste_groups
from cxlib.synth.world import make_world


def write_world_with_items(n_customers: int, out_dir: Path, seed: int = 20261125) -> Path:
    """The world's tables with an ``item`` column, ``truth.json`` with a ``products`` section and the
    taste and product truth files, as the world writes them once products are part of it."""
    world = make_world(n_customers, seed=seed)
    if "item" in world.transactions:  # the world draws its products itself
        world.write(out_dir)
        return Path(out_dir)
    items, products, truth = assign_items(world.transactions, world.customers, seed)
    world.transactions["item"] = items.to_numpy()
    paths = world.write(out_dir)
    values = json.loads(paths["truth"].read_text())
    values["products"] = truth
    paths["truth"].write_text(json.dumps(values, indent=2) + "\n")
    pd.DataFrame({"customer_id": world.customers["customer_id"],
                  "taste_group": taste_groups(world.customers["customer_id"], seed).to_numpy()}
                 ).to_csv(Path(out_dir) / truth["tastes_file"], index=False)
    products.to_csv(Path(out_dir) / truth["products_file"], index=False)
    return Path(out_dir)


def world_fixture(n_customers: int):
    """A module-scoped fixture: the folder of a world with ``n_customers`` customers and products."""

    @pytest.fixture(scope="module")
    def world(tmp_path_factory) -> Path:
        return write_world_with_items(n_customers, tmp_path_factory.mktemp(f"world_{n_customers}"))

    return world
