"""Stage 2, features: the numeric features (numeric; numpy only, used by serving), the TF-IDF -> SVD
text half (text; scikit-learn, training only) and the reference profile with its binning (profile).
"""
