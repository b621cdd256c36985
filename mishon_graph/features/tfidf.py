"""Language-independent caption vectors: character n-gram TF-IDF (scikit-learn), fit on training text.

Character n-grams inside word boundaries (``char_wb``, 2-4 characters, sublinear term frequency) work
for any script and for captions that mix languages, where an English sentence encoder does not. The
vocabulary and IDF are fit on training captions only; every row is L2-normalised, so a dot product
is the cosine.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer

NGRAMS = (2, 4)
MAX_FEATURES = 200_000


def vectorizer(vocabulary: Sequence[str] | None = None) -> TfidfVectorizer:
    """The caption TF-IDF settings, unfitted; with ``vocabulary`` (column order) the columns are fixed."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=NGRAMS,
        min_df=2,
        sublinear_tf=True,
        max_features=MAX_FEATURES,
        lowercase=True,
        dtype=np.float64,
        vocabulary=None if vocabulary is None else {term: i for i, term in enumerate(vocabulary)},
    )


class CaptionVectors:
    """TF-IDF fit once on the training captions, then applied to any caption.

    Args:
        train_texts: Training captions (the vocabulary and IDF come from these only).
    """

    def __init__(self, train_texts: Sequence[str]) -> None:
        self._vec = vectorizer()
        try:
            self.train = self._vec.fit_transform([t or "" for t in train_texts]).tocsr()
            self.fitted = True
        except ValueError:  # empty vocabulary: no caption has a usable character
            self.train = sp.csr_matrix((len(train_texts), 0))
            self.fitted = False

    @property
    def dim(self) -> int:
        return int(self.train.shape[1])

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Rows for ``texts`` (zero columns when nothing was fit)."""
        if not self.fitted:
            return sp.csr_matrix((len(texts), 0))
        return self._vec.transform([t or "" for t in texts]).tocsr()
