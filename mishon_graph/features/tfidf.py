"""Language-independent caption vectors: character n-gram TF-IDF (scikit-learn), fit on training text.

Character n-grams inside word boundaries (``char_wb``, 2-4 characters, sublinear term frequency) work
for any script and for captions that mix languages, where an English sentence encoder does not. The
vocabulary and IDF are fit on training captions only; every row is L2-normalised, so a dot product
is the cosine.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

NGRAMS = (2, 4)
MAX_FEATURES = 200_000


def fit_tfidf(train_texts: Sequence[str], *others: Sequence[str]) -> list[sp.csr_matrix]:
    """TF-IDF rows of ``train_texts`` and of each sequence in ``others``, fit on ``train_texts``.

    Returns empty (zero-column) matrices when no training caption has a usable character.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=NGRAMS,
        min_df=2,
        sublinear_tf=True,
        max_features=MAX_FEATURES,
        lowercase=True,
        dtype=np.float64,
    )
    texts = [t or "" for t in train_texts]
    try:
        train = vec.fit_transform(texts).tocsr()
    except ValueError:  # empty vocabulary: no caption text at all
        return [sp.csr_matrix((len(t), 0)) for t in (train_texts, *others)]
    return [train, *(vec.transform([t or "" for t in o]).tocsr() for o in others)]
