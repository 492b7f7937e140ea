"""Which offers a rule's selectors pick out, shared by every rule module."""

from __future__ import annotations

import numpy as np

from sourcing.data.rule_specs import Selectors
from sourcing.model.index import ModelData
from sourcing.model.network import Network


def in_selection(data: ModelData, rule: Selectors) -> np.ndarray:
    """Offers of the selected minerals and stages (a boolean mask)."""
    offers = data.offers
    mask = np.ones(len(offers), dtype=bool)
    if rule.minerals is not None:
        mask &= offers["mineral"].isin(rule.minerals).to_numpy()
    if rule.stages is not None:
        mask &= offers["stage"].isin(rule.stages).to_numpy()
    return mask


def in_scope(data: ModelData, network: Network, rule: Selectors) -> np.ndarray:
    """Offers of the selected minerals and stages that demand reaches (a boolean mask)."""
    return in_selection(data, rule) & (network.offer_volume_row >= 0)


def in_countries(data: ModelData, rule: Selectors) -> np.ndarray:
    """Offers from the countries the ``countries``/``groups`` selectors name (all if neither)."""
    if not rule.selects_countries:
        return np.ones(len(data.offers), dtype=bool)
    chosen = data.countries_in(rule.countries, rule.groups)
    return data.offers["country"].isin(chosen).to_numpy()


def stage_groups(network: Network, offers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group offers by their stage volume: (unique stage_volumes rows, group number per offer)."""
    return np.unique(network.offer_volume_row[offers], return_inverse=True)
