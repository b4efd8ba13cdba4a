package dev.rill.flink;

import dev.rill.runtime.Model;
import dev.rill.runtime.State;
import java.io.IOException;
import java.nio.file.Path;
import org.apache.flink.api.common.state.ValueStateDescriptor;

/**
 * The model of one parallel instance, with what both modes need around it: its identity, the keyed-state
 * descriptor with Rill's own serializer, and the check of an event's features.
 */
final class LoadedModel implements AutoCloseable {

  private final Model model;
  private final ModelIdentity identity;
  private final int inputSize;
  private final int outputSize;
  private final boolean rejectNonFinite;

  private LoadedModel(Model model, boolean rejectNonFinite) {
    this.model = model;
    this.identity = ModelIdentity.of(model.proto());
    this.inputSize = model.inputSize();
    this.outputSize = model.outputSize();
    this.rejectNonFinite = rejectNonFinite;
  }

  /** Loads the configured model and checks that it can stream feature vectors. */
  static LoadedModel load(RillConfig<?> config) throws IOException {
    Path path = config.modelPath();
    Model model;
    try {
      model = Model.load(path, config.loadOptions());
    } catch (IOException e) {
      throw new IOException("cannot load the Rill model " + path + ": " + e.getMessage(), e);
    }
    try {
      if (model.isTokenModel()) {
        throw new IllegalArgumentException("the Rill model " + path + " takes token ids; the Flink operator steps "
            + "feature vectors (FeatureExtractor)");
      }
      if (!model.isStreamable()) {
        throw new IllegalArgumentException("the Rill model " + path + " has a bidirectional or reverse layer, "
            + "which needs whole sequences; the Flink operator steps one event at a time");
      }
      return new LoadedModel(model, config.rejectNonFinite());
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
  }

  Model model() {
    return model;
  }

  ModelIdentity identity() {
    return identity;
  }

  int outputSize() {
    return outputSize;
  }

  /** The keyed state of each key's recurrent state, serialized by {@link RillStateSerializer}. */
  ValueStateDescriptor<State> stateDescriptor(String name) {
    return new ValueStateDescriptor<>(name, new RillStateSerializer(identity));
  }

  /** Why these features cannot be stepped, or null when they can. */
  String rejection(float[] features) {
    if (features == null) {
      return "no features: the FeatureExtractor returned null";
    }
    if (features.length != inputSize) {
      return "the event has " + features.length + " features but the model takes " + inputSize;
    }
    if (rejectNonFinite) {
      for (int i = 0; i < features.length; i++) {
        if (!Float.isFinite(features[i])) {
          return "feature " + i + " of " + inputSize + " is " + features[i];
        }
      }
    }
    return null;
  }

  @Override
  public void close() {
    model.close();
  }
}
