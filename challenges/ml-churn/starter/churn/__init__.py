def fit_predict(train_rows, score_rows, seed):
    raise NotImplementedError
