"""Suggestions for new uploads: ``mishon+`` held in memory (:mod:`.suggester`), the trained GNN on
what a new video changes (:mod:`.gnn`), the reasons (:mod:`.reasons`), the HTTP app (:mod:`.app`)
and the write-back of an upload into the graph (:mod:`.store`)."""
