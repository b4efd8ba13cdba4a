package dev.rill.runtime;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.rill.format.ModelFormatException;
import dev.rill.format.Tensors;
import dev.rill.format.proto.RillModel;
import dev.rill.format.proto.Tensor;
import dev.rill.runtime.testing.FuzzModels;

/**
 * Fuzzes loading and running a model from untrusted bytes. The contract: a malformed or over-budget file fails
 * in {@link Model#load(byte[], LoadOptions)} with a {@link ModelFormatException}; a model that loads runs a step
 * and a sequence without failing. Anything else propagates and is a finding.
 *
 * <p>{@link #loadBytes} mutates raw bytes, which mostly die at the reader's CRC32C checks; {@link #loadMutatedModel}
 * starts from a valid model of each layer kind and precision, mutates its protobuf fields and recomputes the
 * checksums, so that the mutations reach the validator, the load budget and the kernels. Without
 * {@code JAZZER_FUZZ=1} each runs once per committed input under
 * {@code src/test/resources/dev/rill/runtime/ModelLoadFuzzTestInputs/<method>/}.
 */
class ModelLoadFuzzTest {

  /** A budget far below the default, as a service loading untrusted files would set, and within the test heap. */
  static final long MAX_WEIGHT_BYTES = 64L << 20;

  private static final LoadOptions OPTIONS = LoadOptions.builder().maxWeightBytes(MAX_WEIGHT_BYTES).build();

  @FuzzTest(maxDuration = "5m")
  void loadBytes(byte[] data) {
    loadAndRun(data);
  }

  @FuzzTest(maxDuration = "5m")
  void loadMutatedModel(FuzzedDataProvider data) {
    RillModel base = FuzzModels.all().get(data.consumeInt(0, FuzzModels.all().size() - 1)).model();
    RillModel.Builder model = base.toBuilder();
    int mutations = data.consumeInt(1, 6);
    for (int i = 0; i < mutations && data.remainingBytes() > 0; i++) {
      FuzzModels.mutate(model, data);
    }
    if (data.consumeBoolean() || data.remainingBytes() == 0) {
      // Recomputed checksums let the mutation past the reader's CRC check, where the deep bugs are.
      for (int i = 0; i < model.getTensorsCount(); i++) {
        Tensor t = model.getTensors(i);
        model.setTensors(i, Tensors.withChecksum(t));
      }
    }
    loadAndRun(model.build().toByteArray());
  }

  /** Loads the bytes within the budget, then runs one step of each API that the model supports. */
  static void loadAndRun(byte[] bytes) {
    Model model;
    try {
      model = Model.load(bytes, OPTIONS);
    } catch (ModelFormatException expected) {
      return; // the documented outcome of a malformed or over-budget file
    }
    try (model) {
      int in = model.inputSize();
      float[] output = new float[model.outputSize()];
      float[] vector = new float[model.isTokenModel() ? 0 : in];
      java.util.Arrays.fill(vector, 0.5f);
      int token = in - 1;
      if (model.isStreamable()) {
        try (StreamingSession session = model.newSession()) {
          if (model.isTokenModel()) {
            session.step(token, output);
          } else {
            session.step(vector, output);
          }
        }
        try (StreamBatch batch = model.newStreamBatch(2)) {
          int slot = batch.open();
          if (model.isTokenModel()) {
            batch.setToken(slot, token);
          } else {
            batch.setInput(slot, vector);
          }
          batch.step();
          batch.output(slot, output);
        }
      }
      int steps = 2;
      SequenceBatch sequence = model.isTokenModel() ? SequenceBatch.ofTokens(new int[] {token, 0}, steps, 1)
          : SequenceBatch.ofVectors(concat(vector, vector), steps, 1);
      model.run(sequence);
    }
  }

  private static float[] concat(float[] a, float[] b) {
    float[] both = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, both, a.length, b.length);
    return both;
  }
}
