# Step 5: compile.
# Tell the model how to learn: the "rmsprop" optimizer, the "categorical_crossentropy" loss, and
# "accuracy" as a metric. Return the model.


def compile_model(model):
    # TODO: compile the model and return it.
    raise NotImplementedError
