"""Submissions as beginners really write them: wrong ones, and correct ones written differently.

Each wrong variant names the step it must fail and the exact block of grader output it must show.
"""

WRONG = {
    "reshape_hard_coded_60000": (
        "reshape",
        {"reshape": "def reshape_images(images):\n    return images.reshape(60000, 784)\n"},
        "✗ reshape    0/10\n"
        "    reshape_images() raised ValueError: cannot reshape array of size 784000 into shape (60000,784)\n"
        "      {folder}/reshape.py, line 2, in reshape_images\n"
        "        return images.reshape(60000, 784)\n"
        "    Help: the number of images changes: 60,000 and 10,000 in the program, 1,000 and 1 in the grader. Use "
        "len(images) (or -1) instead of a fixed count.",
    ),
    "reshape_in_place": (
        "reshape",
        {"reshape": "def reshape_images(images):\n    images.shape = (len(images), 784)\n    return images\n"},
        "✗ reshape    8/10\n"
        "    ✓ reshape returns (N, 784) for any number of images N\n"
        "    ✓ reshape keeps the pixels' dtype (uint8)\n"
        "    ✓ reshape lays out each image row by row\n"
        "    ✗ reshape leaves the images it is given unchanged\n"
        "      expected the input to stay (1000, 28, 28) uint8 and unchanged, got it changed\n"
        "      Help: return a new array (images.reshape(...)) instead of changing `images` in place.",
    ),
    "normalize_forgot_255": (
        "normalize",
        {"normalize": "def normalize_images(images):\n    return images.astype('float32')\n"},
        "✗ normalize  7/10\n"
        "    ✓ normalize keeps the shape of its input\n"
        "    ✓ normalize returns float32\n"
        "    ✗ normalize returns images / 255, values between 0 and 1\n"
        "      expected values between 0 and 1, got values from 0 to 255\n"
        "      Help: divide by 255, the largest value a pixel can have.\n"
        "    ✓ normalize leaves the images it is given unchanged",
    ),
    "normalize_float64": (
        "normalize",
        {"normalize": "def normalize_images(images):\n    return images / 255\n"},
        "✗ normalize  7/10\n"
        "    ✓ normalize keeps the shape of its input\n"
        "    ✗ normalize returns float32\n"
        "      expected float32, got float64\n"
        '      Help: dividing uint8 pixels by 255 makes float64; convert first: images.astype("float32") / 255.\n'
        "    ✓ normalize returns images / 255, values between 0 and 1\n"
        "    ✓ normalize leaves the images it is given unchanged",
    ),
    "normalize_floor_division": (
        "normalize",
        {"normalize": "def normalize_images(images):\n    return images // 255\n"},
        "✗ normalize  4/10\n"
        "    ✓ normalize keeps the shape of its input\n"
        "    ✗ normalize returns float32\n"
        "      expected float32, got uint8\n"
        "      Help: `//` divides and drops the fraction, so each pixel becomes 0 or 1: use `/`, as in "
        'images.astype("float32") / 255.\n'
        "    ✗ normalize returns images / 255, values between 0 and 1\n"
        "      expected images / 255, got values that differ from it by up to 0.996\n"
        "      Help: `//` drops the fraction, so each pixel becomes 0 or 1: divide with `/`.\n"
        "    ✓ normalize leaves the images it is given unchanged",
    ),
    "normalize_no_import_of_numpy": (
        "normalize",
        {"normalize": "def normalize_images(images):\n    return np.float32(images) / 255\n"},
        "✗ normalize  0/10\n"
        "    normalize_images() raised NameError: name 'np' is not defined\n"
        "      {folder}/normalize.py, line 2, in normalize_images\n"
        "        return np.float32(images) / 255\n"
        "    Help: np is not imported: add `import numpy as np` at the top of {folder}/normalize.py.",
    ),
    "reshape_typo": (
        "reshape",
        {"reshape": "def reshape_images(images):\n    return image.reshape(len(images), 784)\n"},
        "✗ reshape    0/10\n"
        "    reshape_images() raised NameError: name 'image' is not defined\n"
        "      {folder}/reshape.py, line 2, in reshape_images\n"
        "        return image.reshape(len(images), 784)\n"
        "    Help: check the spelling: there is no image here, but there is images.",
    ),
    "reshape_returns_its_input": (
        "reshape",
        {"reshape": "def reshape_images(images):\n    return images\n"},
        "✗ reshape    4/10\n"
        "    ✗ reshape returns (N, 784) for any number of images N\n"
        "      expected (1000, 784), got (1000, 28, 28)\n"
        "      Help: the images came back as they were: return images.reshape(len(images), 784).\n",
    ),
    "one_hot_transposed": (
        "one_hot",
        {"one_hot": "import numpy as np\n\n\ndef one_hot_labels(labels):\n    return np.eye(10)[labels].T\n"},
        "✗ one_hot    2/10\n"
        "    ✗ one_hot returns (N, 10): one row per label, one column per digit\n"
        "      expected (1000, 10), got (10, 1000)\n"
        "      Help: one row per label: (len(labels), 10), not (10, len(labels)).\n",
    ),
    "normalize_syntax_error": (
        "normalize",
        {"normalize": "def normalize_images(images)\n    return images / 255\n"},
        "✗ normalize  0/10\n"
        "    importing {folder}/normalize.py raised SyntaxError: expected ':'\n"
        "      {folder}/normalize.py, line 1, in <module>\n"
        "        def normalize_images(images)\n"
        "    Help: Python stops at the first error in a file; fix the line shown.",
    ),
    "normalize_sys_exit": (
        "normalize",
        {"normalize": "import sys\n\n\ndef normalize_images(images):\n    sys.exit()\n"},
        "✗ normalize  0/10\n"
        "    normalize_images() called sys.exit(), which would end the program\n"
        "    Help: return the result instead of exiting.",
    ),
    "one_hot_renamed": (
        "one_hot",
        {"one_hot": "def one_hot(labels):\n    return labels\n"},
        "✗ one_hot    0/10\n"
        "    {folder}/one_hot.py has no function one_hot_labels()\n"
        "    Help: keep the name the exercise gives: def one_hot_labels(...).",
    ),
    "one_hot_os_exit_on_import": (
        "one_hot",
        {"one_hot": "import os\n\nos._exit(3)\n"},
        "✗ one_hot    0/10\n"
        "    the process running one_hot ended before your code returned (exit code 3)\n"
        "    Help: something in your code ended Python (os._exit, os.kill, a crash in a library); remove it.",
    ),
    "one_hot_integers": (
        "one_hot",
        {"one_hot": "import numpy as np\n\n\ndef one_hot_labels(labels):\n    return np.eye(10, dtype=int)[labels]\n"},
        "✗ one_hot    8/10\n"
        "    ✓ one_hot returns (N, 10): one row per label, one column per digit\n"
        "    ✗ one_hot returns floats\n"
        "      expected a float dtype, got int64\n"
        "      Help: the loss compares the labels with probabilities, which are floats: to_categorical gives floats, "
        'or convert with .astype("float32").\n'
        "    ✓ one_hot puts a single 1 at each label's index, 0 elsewhere",
    ),
    "build_sigmoid_output": (
        "build",
        {"build": ("import keras\n"
            "from keras import layers\n"
            "\n"
            "\n"
            "def build_model():\n"
            "    return keras.Sequential([keras.Input(shape=(784,)), layers.Dense(512, "
            "activation='relu'), layers.Dense(10, activation='sigmoid')])\n")},
        "✗ build      17/20\n"
        "    ✓ build returns a Keras model\n"
        "    ✓ build makes a model that takes 784 inputs\n"
        "    ✓ build stacks exactly two Dense layers\n"
        "    ✓ build gives the first Dense layer 512 units and relu\n"
        "    ✗ build gives the last Dense layer 10 units and softmax\n"
        '      expected Dense(10, activation="softmax"), got Dense(10, activation="sigmoid")\n'
        "      Help: one unit per digit; softmax turns them into 10 probabilities that add up to 1.\n"
        "    ✓ build's model has 407,050 parameters",
    ),
    "build_no_input": (
        "build",
        {"build": ("import keras\n"
            "from keras import layers\n"
            "\n"
            "\n"
            "def build_model():\n"
            "    return keras.Sequential([layers.Dense(512, activation='relu'), layers.Dense(10, "
            "activation='softmax')])\n")},
        "✗ build      14/20\n"
        "    ✓ build returns a Keras model\n"
        "    ✗ build makes a model that takes 784 inputs\n"
        "      expected a model that takes 784 inputs, got a model with no input shape yet\n"
        "      Help: start the model with keras.Input(shape=(784,)).\n"
        "    ✓ build stacks exactly two Dense layers\n"
        "    ✓ build gives the first Dense layer 512 units and relu\n"
        "    ✓ build gives the last Dense layer 10 units and softmax\n"
        "    ✗ build's model has 407,050 parameters\n"
        "      expected 407,050, got an unbuilt model\n"
        "      Help: 784 × 512 + 512 weights and biases, then 512 × 10 + 10: check the layer sizes and inputs.",
    ),
    "build_extra_dropout": (
        "build",
        {"build": ("import keras\n"
            "from keras import layers\n"
            "\n"
            "\n"
            "def build_model():\n"
            "    return keras.Sequential([keras.Input(shape=(784,)), layers.Dense(512, "
            "activation='relu'), layers.Dropout(0.5), layers.Dense(10, activation='softmax')])\n")},
        "✗ build      16/20\n"
        "    ✓ build returns a Keras model\n"
        "    ✓ build makes a model that takes 784 inputs\n"
        "    ✗ build stacks exactly two Dense layers\n"
        "      expected Dense, Dense, got Dense, Dropout, Dense\n"
        "      Help: Dropout changes how the network trains, and the seed's network has none: remove it.\n"
        "    ✓ build gives the first Dense layer 512 units and relu\n"
        "    ✓ build gives the last Dense layer 10 units and softmax\n"
        "    ✓ build's model has 407,050 parameters",
    ),
    "build_killed": (
        "build",
        {"build": "import os\nimport signal\n\n\ndef build_model():\n    os.kill(os.getpid(), signal.SIGKILL)\n"},
        "✗ build      0/20\n"
        "    the process running build ended before your code returned (killed by signal SIGKILL)\n"
        "    Help: something in your code ended Python (os._exit, os.kill, a crash in a library); remove it.",
    ),
    # Mixed precision, as tutorials set it up: build's own checks fail, the steps after it are skipped (the course's
    # compile would otherwise fail with a LossScaleOptimizer, and the student fix the file that is right).
    "build_mixed_precision": (
        "build",
        {"build": ("import keras\n"
            "from keras import layers\n"
            "\n"
            "\n"
            "def build_model():\n"
            "    keras.mixed_precision.set_global_policy('mixed_float16')\n"
            "    return keras.Sequential([keras.Input(shape=(784,)), layers.Dense(512, activation='relu'),\n"
            "                             layers.Dense(10, activation='softmax')])\n")},
        "✗ build      0/20\n"
        "    build_model() changed a global setting of Keras: keras.config.dtype_policy() is now \"mixed_float16\", "
        'not "float32"\n'
        "    Help: a step may change only what it returns: every later step would run with this setting. Remove the "
        "call that sets it (keras.config.set_dtype_policy, keras.mixed_precision.set_global_policy).\n"
        "– compile    0/15  skipped: fix build first\n"
        "– fit        0/15  skipped: fix build first\n"
        "– accuracy   0/20  skipped: fix build first\n",
    ),
    "build_half_precision_layers": (
        "build",
        {"build": ("import keras\n"
            "from keras import layers\n"
            "\n"
            "\n"
            "def build_model():\n"
            "    return keras.Sequential([keras.Input(shape=(784,)),\n"
            "                             layers.Dense(512, activation='relu', dtype='mixed_float16'),\n"
            "                             layers.Dense(10, activation='softmax', dtype='bfloat16')])\n")},
        "✗ build      0/20\n"
        "    expected a network that computes in float32, got layers that compute in bfloat16, float16\n"
        "    Help: the seed's network computes in float32, Keras's default: remove dtype= from its layers, and any "
        "mixed precision.",
    ),
    "compile_caps_epochs": (
        "compile",
        {"compile": ("import keras\n"
            "\n"
            "keras.config.set_max_epochs(1)\n"
            "\n"
            "\n"
            "def compile_model(model):\n"
            "    model.compile(optimizer='rmsprop', loss='categorical_crossentropy', metrics=['accuracy'])\n"
            "    return model\n")},
        "✗ compile    0/15\n"
        "    importing {folder}/compile.py changed a global setting of Keras: keras.config.max_epochs() is now 1, not "
        "None\n"
        "    Help: a step may change only what it returns: every later step would run with this setting. Remove the "
        "call that sets it (keras.config.set_max_epochs).\n"
        "– fit        0/15  skipped: fix compile first\n",
    ),
    "compile_sparse_loss": (
        "compile",
        {"compile": ("def compile_model(model):\n"
            "    model.compile(optimizer='rmsprop', loss='sparse_categorical_crossentropy', metrics=['accuracy'])\n"
            "    return model\n")},
        "✗ compile    11/15\n"
        "    ✓ compile returns the compiled model\n"
        "    ✓ compile uses the rmsprop optimizer\n"
        "    ✗ compile uses categorical cross-entropy as the loss\n"
        "      expected categorical_crossentropy, got sparse_categorical_crossentropy\n"
        "      Help: the sparse loss is for integer labels; one-hot labels need categorical_crossentropy.\n"
        "    ✓ compile tracks accuracy",
    ),
    "compile_adam_mse": (
        "compile",
        {"compile": ("def compile_model(model):\n"
            "    model.compile(optimizer='adam', loss='mse', metrics=['accuracy'])\n"
            "    return model\n")},
        "✗ compile    7/15\n"
        "    ✓ compile returns the compiled model\n"
        "    ✗ compile uses the rmsprop optimizer\n"
        "      expected RMSprop, got Adam\n"
        '      Help: the seed trains with optimizer="rmsprop".\n'
        "    ✗ compile uses categorical cross-entropy as the loss\n"
        "      expected categorical_crossentropy, got mse\n"
        '      Help: with one-hot labels and softmax, use loss="categorical_crossentropy".\n'
        "    ✓ compile tracks accuracy",
    ),
    "compile_missing_return": (
        "compile",
        {"compile": ("def compile_model(model):\n"
            "    model.compile(optimizer='rmsprop', loss='categorical_crossentropy', metrics=['accuracy'])\n")},
        "✗ compile    0/15\n"
        "    expected the compiled model, got None\n"
        "    Help: end compile_model with `return model`.",
    ),
    "compile_accuracy_object": (
        "compile",
        {"compile": ("import keras\n"
            "\n"
            "\n"
            "def compile_model(model):\n"
            "    model.compile(optimizer='rmsprop', loss='categorical_crossentropy', "
            "metrics=[keras.metrics.Accuracy()])\n"
            "    return model\n")},
        "✗ compile    11/15\n"
        "    ✓ compile returns the compiled model\n"
        "    ✓ compile uses the rmsprop optimizer\n"
        "    ✓ compile uses categorical cross-entropy as the loss\n"
        "    ✗ compile tracks accuracy\n"
        '      expected "accuracy", got keras.metrics.Accuracy()\n'
        '      Help: Accuracy() counts exact matches of probabilities; metrics=["accuracy"] picks the right one.',
    ),
    "fit_one_epoch": (
        "fit",
        {"fit": ("def fit_model(model, images, labels):\n"
            "    return model.fit(images, labels, epochs=1, batch_size=128, verbose=0)\n")},
        "✗ fit        10/15\n"
        "    ✓ fit returns the History of training\n"
        "    ✗ fit trains for 5 epochs\n"
        "      expected 5 epochs, got 1\n"
        "      Help: pass epochs=5 to model.fit.\n"
        "    ✓ fit uses batches of 128 images (469 steps an epoch)\n"
        "    ✓ fit trains on all 60,000 images it is given, each counted alike",
    ),
    # What the grader judges is what the program goes on to use: the model compile_model returns, and the
    # model fit_model is given, which the program then tests. Each of these earned full marks once.
    "compile_returns_another_model": (
        "compile",
        {"compile": ("import keras\n"
            "from keras import layers\n"
            "\n"
            "\n"
            "def compile_model(model):\n"
            "    other = keras.Sequential([keras.Input(shape=(784,)), layers.Dense(512, "
            "activation='relu'), layers.Dense(10, activation='softmax')])\n"
            "    other.compile(optimizer='rmsprop', loss='categorical_crossentropy', metrics=['accuracy'])\n"
            "    return other\n")},
        "✗ compile    0/15\n"
        "    expected the model compile_model is given, compiled, got another Sequential\n"
        "    Help: call model.compile(...) on the model you are given, then return that model.",
    ),
    "fit_trains_another_model": (
        "fit",
        {"fit": ("import keras\n"
            "from keras import layers\n"
            "\n"
            "\n"
            "def fit_model(model, images, labels):\n"
            "    other = keras.Sequential([keras.Input(shape=(784,)), layers.Dense(512, "
            "activation='relu'), layers.Dense(10, activation='softmax')])\n"
            "    other.compile(optimizer='rmsprop', loss='categorical_crossentropy', metrics=['accuracy'])\n"
            "    return other.fit(images, labels, epochs=5, batch_size=128, verbose=0)\n")},
        "✗ fit        0/15\n"
        "    expected the History of training the model fit_model is given, got the "
        "History of another model, or one made by hand\n"
        "    Help: train the model you are given, and return what its fit returns: return model.fit(...).",
    ),
    "fit_returns_another_history": (
        "fit",
        {"fit": ("import keras\n"
            "\n"
            "\n"
            "def fit_model(model, images, labels):\n"
            "    model.fit(images, labels, epochs=1, batch_size=128, verbose=0)\n"
            "    other = keras.models.clone_model(model)\n"
            "    other.compile(optimizer='rmsprop', loss='categorical_crossentropy')\n"
            "    return other.fit(images[:1280], labels[:1280], epochs=5, batch_size=128, verbose=0)\n")},
        "✗ fit        0/15\n"
        "    expected the History of training the model fit_model is given, got the "
        "History of another model, or one made by hand\n"
        "    Help: train the model you are given, and return what its fit returns: return model.fit(...).",
    ),
    "fit_history_made_by_hand": (
        "fit",
        {"fit": ("import keras\n"
            "\n"
            "\n"
            "def fit_model(model, images, labels):\n"
            "    history = keras.callbacks.History()\n"
            "    history.set_model(model)\n"
            "    history.set_params({'epochs': 5, 'steps': 469, 'verbose': 1})\n"
            "    history.epoch = [0, 1, 2, 3, 4]\n"
            "    return history\n")},
        "✗ fit        0/15\n"
        "    expected 2345 training steps of the model you are given, as its History says, got 0\n"
        "    Help: call model.fit once, on the model you are given, and return what it returns.",
    ),
    "fit_recompiles": (
        "fit",
        {"fit": ("def fit_model(model, images, labels):\n"
            "    model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'])\n"
            "    return model.fit(images[:256], labels[:256], epochs=5, batch_size=128, verbose=0)\n")},
        "✗ fit        0/15\n"
        "    expected the model as compile_model compiled it, got a model compiled again in fit_model\n"
        "    Help: do not call model.compile in fit_model: train the model as it is given.",
    ),
}

# Written differently from the solutions, and right: each must pass its step in full.
CORRECT = {
    "reshape_minus_one": ("reshape", {"reshape": ("import numpy as np\n"
        "\n"
        "\n"
        "def reshape_images(images):\n"
        "    return np.reshape(images, (-1, 28 * 28))\n")}),
    "reshape_prints": ("reshape", {"reshape": ("def reshape_images(images):\n"
        "    print('shape before:', images.shape)\n"
        "    print('x' * 100000)\n"
        "    return images.reshape(images.shape[0], 784)\n")}),
    "normalize_divide_float": ("normalize", {"normalize": ("import numpy as np\n"
        "\n"
        "\n"
        "def normalize_images(images):\n"
        "    return np.float32(images) / np.float32(255.0)\n")}),
    "one_hot_eye": ("one_hot", {"one_hot": ("import numpy as np\n"
        "\n"
        "\n"
        "def one_hot_labels(labels):\n"
        "    return np.eye(10)[labels]\n")}),
    "build_functional": ("build", {"build": ("import keras\n"
        "from keras import activations, layers\n"
        "\n"
        "\n"
        "def build_model():\n"
        "    inputs = keras.Input(shape=(784,))\n"
        "    x = layers.Dense(512, activation=activations.relu)(inputs)\n"
        "    outputs = layers.Dense(10, activation=activations.softmax)(x)\n"
        "    return keras.Model(inputs, outputs)\n")}),
    "build_seed_style": ("build", {"build": ("from keras import layers, models\n"
        "\n"
        "\n"
        "def build_model():\n"
        "    network = models.Sequential()\n"
        "    network.add(layers.Dense(512, activation='relu', input_shape=(28 * 28,)))\n"
        "    network.add(layers.Dense(10, activation='softmax'))\n"
        "    return network\n")}),
    "compile_objects": ("compile", {"compile": ("import keras\n"
        "\n"
        "\n"
        "def compile_model(model):\n"
        "    model.compile(optimizer=keras.optimizers.RMSprop(), loss=keras.losses.CategoricalCrossentropy(), "
        "metrics=['acc'])\n"
        "    return model\n")}),
    "compile_function_loss": ("compile", {"compile": ("import keras\n"
        "\n"
        "\n"
        "def compile_model(model):\n"
        "    model.compile(optimizer='rmsprop', loss=keras.losses.categorical_crossentropy, "
        "metrics=[keras.metrics.CategoricalAccuracy()])\n"
        "    return model\n")}),
}

# What the program computes, not the grader's sample or the layer list: wrong answers that look right, each
# with the input or setting that shows it, and right ones written as Keras 3 users write them.
SEQUENTIAL = ("import keras\nfrom keras import layers\n\n\ndef build_model():\n"
              "    return keras.Sequential([keras.Input(shape=(784,)), {layers}])\n")
SUBCLASSED = ("import keras\n"
    "from keras import layers, ops\n"
    "\n"
    "\n"
    "class Net(keras.Model):\n"
    "    def __init__(self):\n"
    "        super().__init__()\n"
    "        self.hidden = layers.Dense(512{hidden})\n"
    "        self.classifier = layers.Dense(10{output})\n"
    "\n"
    "    def call(self, x{training}):\n"
    "        return {call}\n"
    "\n"
    "\n"
    "def build_model():\n"
    "    model = Net()\n"
    "    model.build((None, 784))\n"
    "    return model\n")
COMPILE = ("import keras\n\n\ndef compile_model(model):\n"
    "    model.compile(optimizer={optimizer}, loss={loss}, metrics=['accuracy'])\n    return model\n")
COMPILE_RIGHT = "    ✓ compile returns the compiled model\n"


def compile_wrong(optimizer, loss, check, expected, got, help):
    """A compile that gets one setting wrong: the block its check shows."""
    failed = {"optimizer": "compile uses the rmsprop optimizer",
              "loss": "compile uses categorical cross-entropy as the loss"}
    lines = [f"    ✓ {label}" if name != check else f"    ✗ {label}\n      expected {expected}, got {got}\n"
             f"      Help: {help}" for name, label in failed.items()]
    return ("compile", {"compile": COMPILE.format(optimizer=optimizer, loss=loss)},
            "✗ compile    11/15\n" + COMPILE_RIGHT + "\n".join(lines) + "\n    ✓ compile tracks accuracy")


DEFAULTS_HELP = 'the seed uses optimizer="rmsprop", Keras\'s defaults: leave {} out.'
WRONG |= {
    "reshape_fixed_1000": (
        "reshape",
        {"reshape": "def reshape_images(images):\n    return images.reshape(1000, 784)\n"},
        "✗ reshape    0/10\n"
        "    reshape_images(), given the 60,000 training images, raised ValueError: cannot reshape array of size "
        "47040000 into shape (1000,784)\n"
        "      {folder}/reshape.py, line 2, in reshape_images\n"
        "        return images.reshape(1000, 784)\n"
        "    Help: the number of images changes: 60,000 and 10,000 in the program, 1,000 and 1 in the grader. Use "
        "len(images) (or -1) instead of a fixed count.",
    ),
    "reshape_first_1000": (
        "reshape",
        {"reshape": "def reshape_images(images):\n    return images[:1000].reshape(-1, 784)\n"},
        "✗ reshape    4/10\n"
        "    ✗ reshape returns (N, 784) for any number of images N\n"
        "      expected (60000, 784), got (1000, 784), given the 60,000 training images\n"
        "      Help: the program passes 60,000 images, then 10,000: use len(images) (or -1), not a fixed count.\n"
        "    ✓ reshape keeps the pixels' dtype (uint8)\n"
        "    ✗ reshape lays out each image row by row\n"
        "      expected values in shape (60000, 784), got shape (1000, 784), given the 60,000 training images\n"
        "      Help: fix the shape first.\n"
        "    ✓ reshape leaves the images it is given unchanged",
    ),
    "reshape_squeezed": (
        "reshape",
        {"reshape": ("import numpy as np\n\n\ndef reshape_images(images):\n"
                     "    return np.squeeze(images.reshape(len(images), 784))\n")},
        "✗ reshape    4/10\n"
        "    ✗ reshape returns (N, 784) for any number of images N\n"
        "      expected (1, 784), got (784,), given a single image\n"
        "      Help: a single image comes back as (1, 784), one row: squeeze() and flatten() drop the row.\n",
    ),
    "one_hot_without_num_classes": (
        "one_hot",
        {"one_hot": ("from keras.utils import to_categorical\n\n\ndef one_hot_labels(labels):\n"
                     "    return to_categorical(labels)\n")},
        "✗ one_hot    2/10\n"
        "    ✗ one_hot returns (N, 10): one row per label, one column per digit\n"
        "      expected (1, 10), got (1, 6), given a single label\n"
        "      Help: give the number of classes, to_categorical(labels, 10): without it the columns stop at the "
        "largest label seen.\n"
        "    ✓ one_hot returns floats\n"
        "    ✗ one_hot puts a single 1 at each label's index, 0 elsewhere\n"
        "      expected values in shape (1, 10), got shape (1, 6), given a single label\n"
        "      Help: fix the shape first.",
    ),
    "one_hot_first_1000": (
        "one_hot",
        {"one_hot": ("import numpy as np\n\n\ndef one_hot_labels(labels):\n"
                     "    return np.eye(10)[labels[:1000]]\n")},
        "    ✗ one_hot returns (N, 10): one row per label, one column per digit\n"
        "      expected (60000, 10), got (1000, 10), given the 60,000 training labels\n",
    ),
    "build_activation_layer_sigmoid": (
        "build",
        {"build": SEQUENTIAL.format(layers="layers.Dense(512), layers.Activation('sigmoid'), layers.Dense(10), "
                                           "layers.Activation('softmax')")},
        "    ✗ build gives the first Dense layer 512 units and relu\n"
        '      expected Dense(512, activation="relu"), got Dense(512), Activation("sigmoid")\n'
        "      Help: the hidden layer has 512 units; relu keeps positive values and zeroes the rest.\n"
        "    ✓ build gives the last Dense layer 10 units and softmax\n",
    ),
    "build_leaky_relu_layer": (
        "build",
        {"build": SEQUENTIAL.format(layers="layers.Dense(512), layers.ReLU(negative_slope=0.1), layers.Dense(10), "
                                           "layers.Softmax()")},
        "    ✗ build gives the first Dense layer 512 units and relu\n"
        '      expected Dense(512, activation="relu"), got Dense(512), ReLU(negative_slope=0.1)\n',
    ),
    "build_three_dense": (
        "build",
        {"build": SEQUENTIAL.format(layers="layers.Dense(512, activation='relu'), layers.Dense(128, "
                                           "activation='relu'), layers.Dense(10, activation='softmax')")},
        "✗ build      14/20\n"
        "    ✓ build returns a Keras model\n"
        "    ✓ build makes a model that takes 784 inputs\n"
        "    ✗ build stacks exactly two Dense layers\n"
        "      expected Dense, Dense, got Dense, Dense, Dense\n"
        "      Help: the seed's network has two Dense layers, 784 → 512 → 10: remove the others.\n"
        "    ✓ build gives the first Dense layer 512 units and relu\n"
        "    ✓ build gives the last Dense layer 10 units and softmax\n"
        "    ✗ build's model has 407,050 parameters\n"
        "      expected 407,050, got 468,874\n",
    ),
    "build_batch_normalization": (
        "build",
        {"build": SEQUENTIAL.format(layers="layers.Dense(512, activation='relu'), layers.BatchNormalization(), "
                                           "layers.Dense(10, activation='softmax')")},
        "    ✗ build stacks exactly two Dense layers\n"
        "      expected Dense, Dense, got Dense, BatchNormalization, Dense\n"
        "      Help: the seed's network has two Dense layers, each with its activation, and nothing else: remove "
        "BatchNormalization.\n",
    ),
    "build_subclassed_sigmoid_in_call": (
        "build",
        {"build": SUBCLASSED.format(hidden="", output="", training="",
                                    call="ops.softmax(self.classifier(ops.sigmoid(self.hidden(x))))")},
        "    ✗ build gives the first Dense layer 512 units and relu\n"
        '      expected Dense(512, activation="relu"), got Dense(512), in a model whose outputs are not those of relu '
        "then softmax\n",
    ),
    "build_subclassed_dropout_in_call": (
        "build",
        {"build": SUBCLASSED.format(hidden=", activation='relu'", output=", activation='softmax'",
                                    training=", training=False",
                                    call="self.classifier(keras.random.dropout(self.hidden(x), 0.5) if training "
                                         "else self.hidden(x))")},
        "✗ build      16/20\n"
        "    ✓ build returns a Keras model\n"
        "    ✓ build makes a model that takes 784 inputs\n"
        "    ✗ build stacks exactly two Dense layers\n"
        "      expected a network that trains as it predicts, got a model whose outputs change while it trains\n"
        "      Help: dropout or noise in call() changes how the network trains, and the seed's network has none: "
        "remove it.\n",
    ),
    "compile_rmsprop_momentum": compile_wrong(
        "keras.optimizers.RMSprop(momentum=0.9)", "'categorical_crossentropy'", "optimizer",
        "RMSprop with momentum 0", "momentum 0.9", DEFAULTS_HELP.format("momentum")),
    "compile_rmsprop_learning_rate": compile_wrong(
        "keras.optimizers.RMSprop(learning_rate=0.01)", "'categorical_crossentropy'", "optimizer",
        "RMSprop with learning_rate 0.001", "learning_rate 0.01", DEFAULTS_HELP.format("learning_rate")),
    "compile_rmsprop_centered": compile_wrong(
        "keras.optimizers.RMSprop(centered=True)", "'categorical_crossentropy'", "optimizer",
        "RMSprop with centered False", "centered True", DEFAULTS_HELP.format("centered")),
    "compile_rmsprop_clipnorm": compile_wrong(
        "keras.optimizers.RMSprop(clipnorm=1.0)", "'categorical_crossentropy'", "optimizer",
        "RMSprop without clipnorm", "clipnorm 1", DEFAULTS_HELP.format("clipnorm")),
    "compile_learning_rate_schedule": compile_wrong(
        "keras.optimizers.RMSprop(keras.optimizers.schedules.ExponentialDecay(0.001, 1000, 0.9))",
        "'categorical_crossentropy'", "optimizer", "RMSprop with learning_rate 0.001",
        "a learning-rate schedule (ExponentialDecay)", DEFAULTS_HELP.format("learning_rate")),
    "compile_label_smoothing": compile_wrong(
        "'rmsprop'", "keras.losses.CategoricalCrossentropy(label_smoothing=0.1)", "loss",
        "label_smoothing 0", "label_smoothing 0.1",
        'label smoothing changes the labels the network learns from; the seed uses loss="categorical_crossentropy" '
        "as it is: remove label_smoothing."),
    "compile_loss_summed": compile_wrong(
        "'rmsprop'", "keras.losses.CategoricalCrossentropy(reduction='sum')", "loss",
        'reduction "sum_over_batch_size"', 'reduction "sum"',
        "the seed averages the loss over each batch, Keras's default; another reduction changes the size of every "
        "training step: remove reduction."),
    "fit_validation_split": (
        "fit",
        {"fit": ("def fit_model(model, images, labels):\n"
            "    return model.fit(images, labels, epochs=5, batch_size=128, validation_split=0.1, verbose=0)\n")},
        "✗ fit        13/15\n"
        "    ✓ fit returns the History of training\n"
        "    ✓ fit trains for 5 epochs\n"
        "    ✓ fit uses batches of 128 images (469 steps an epoch)\n"
        "    ✗ fit trains on all 60,000 images it is given, each counted alike\n"
        "      expected all 60,000 images, got 54,000 (validation_split=0.1 holds out the rest)\n"
        "      Help: the seed trains on all 60,000 images and tests on 10,000 it never saw: remove validation_split.",
    ),
    "fit_class_weight": (  # One epoch, to stay quick: both checks fail.
        "fit",
        {"fit": ("def fit_model(model, images, labels):\n"
            "    weights = {digit: 2.0 if digit == 8 else 1.0 for digit in range(10)}\n"
            "    return model.fit(images, labels, epochs=1, batch_size=128, class_weight=weights, verbose=0)\n")},
        "    ✗ fit trains on all 60,000 images it is given, each counted alike\n"
        "      expected every image counted alike, got class_weight=…\n"
        "      Help: the seed weights every image alike: remove class_weight.",
    ),
}



def returning(step, expression, imports=""):
    """A right variant of an array step: its function returns `expression`, after `imports`."""
    function = {"reshape": "reshape_images(images)", "normalize": "normalize_images(images)",
                "one_hot": "one_hot_labels(labels)"}[step]
    return step, {step: f"{imports}{chr(10) * 2 if imports else ''}def {function}:\n    return {expression}\n"}


CORRECT |= {
    "reshape_shape_0": returning("reshape", "images.reshape(images.shape[0], -1)"),
    "reshape_row_by_row": returning("reshape", "np.stack([image.flatten() for image in images])",
                                    "import numpy as np\n"),
    "normalize_multiply": returning("normalize", "images.astype('float32') * (1 / 255)"),
    "normalize_divide_then_convert": returning("normalize", "(images / 255).astype('float32')"),
    "normalize_np_divide": returning("normalize", "np.divide(images, 255, dtype=np.float32)", "import numpy as np\n"),
    "one_hot_keras_ops": returning("one_hot", "keras.ops.one_hot(labels, 10)", "import keras\n"),
    "one_hot_comparison": returning("one_hot", "(labels[:, None] == np.arange(10)).astype('float32')",
                                    "import numpy as np\n"),
    "build_activation_layers": ("build", {"build": SEQUENTIAL.format(
        layers="layers.Dense(512), layers.Activation('relu'), layers.Dense(10), layers.Activation('softmax')")}),
    "build_relu_and_softmax_layers": ("build", {"build": SEQUENTIAL.format(
        layers="layers.Dense(512), layers.ReLU(), layers.Dense(10), layers.Softmax()")}),
    "build_flatten_first": ("build", {"build": SEQUENTIAL.format(
        layers="layers.Flatten(), layers.Dense(512, activation='relu'), layers.Dense(10, activation='softmax')")}),
    "build_functional_ops": ("build", {"build": ("import keras\nfrom keras import layers, ops\n\n\n"
        "def build_model():\n"
        "    inputs = keras.Input(shape=(784,))\n"
        "    x = ops.relu(layers.Dense(512)(inputs))\n"
        "    return keras.Model(inputs, ops.softmax(layers.Dense(10)(x)))\n")}),
    "build_sequential_add": ("build", {"build": ("import keras\nfrom keras import layers\n\n\n"
        "def build_model():\n"
        "    model = keras.Sequential()\n"
        "    model.add(keras.Input(shape=(784,)))\n"
        "    model.add(layers.Dense(512, activation='relu'))\n"
        "    model.add(layers.Dense(10, activation='softmax'))\n"
        "    return model\n")}),
    "build_subclassed": ("build", {"build": SUBCLASSED.format(
        hidden=", activation='relu'", output=", activation='softmax'", training="",
        call="self.classifier(self.hidden(x))")}),
    "build_subclassed_ops_in_call": ("build", {"build": SUBCLASSED.format(
        hidden="", output="", training="", call="ops.softmax(self.classifier(ops.relu(self.hidden(x))))")}),
    "compile_rmsprop_defaults_written_out": ("compile", {"compile": COMPILE.format(
        optimizer="keras.optimizers.RMSprop(learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-07, "
                  "centered=False)",
        loss="keras.losses.CategoricalCrossentropy(from_logits=False)")}),
    "fit_keywords_without_shuffling": ("fit", {"fit": ("def fit_model(model, images, labels):\n"
        "    return model.fit(x=images, y=labels, batch_size=128, epochs=5, shuffle=False, verbose=0)\n")}),
}
