# Step 5: compile.
# Tell the model how to learn: the "rmsprop" optimizer, the "categorical_crossentropy" loss, and
# "accuracy" as a metric. Return the model.


def compile_model(model):
    # BEGIN SOLUTION: compile the model and return it.
    # Choose how the network learns: the rmsprop optimizer, the loss it minimises, the metric we watch.
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    return model
    # END SOLUTION
