"""Adapters for data-processing frameworks (optional extras): :mod:`unspin.integrations.ray`
(``unspin[ray]``) and :mod:`unspin.integrations.datatrove` (``unspin[datatrove]``)."""
