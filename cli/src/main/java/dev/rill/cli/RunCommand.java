package dev.rill.cli;

import dev.rill.converter.npy.Npy;
import dev.rill.converter.npy.NpyArray;
import dev.rill.runtime.LoadOptions;
import dev.rill.runtime.Model;
import dev.rill.runtime.SequenceBatch;
import dev.rill.runtime.StreamingSession;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code rill run}: runs a model on a NumPy array of inputs and writes the outputs as a NumPy array. */
@Command(name = "run", mixinStandardHelpOptions = true,
    description = {"Runs a Rill model on inputs from a NumPy .npy file and writes its outputs to a .npy file (float32).", "",
        "Vector models take floats (<f4 or <f8): [T, input] for one stream, output [T, output]; or [T, N, input] for a batch "
            + "of N streams, output [T, N, output]. Token models take integers (<i4 or <i8): [T] or [T, N].",
        "By default the whole sequence runs through the sequence API; --stream feeds it one step at a time through a "
            + "StreamingSession per stream instead (same results; not for bidirectional models).", "",
        "Example:",
        "  rill run examples/silero_vad_lstm.rill --input examples/silero_vad_lstm.input.npy --output /tmp/out.npy"})
final class RunCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MODEL", description = "The .rill file.")
  Path modelFile;

  @Option(names = "--input", required = true, paramLabel = "X.npy", description = "The inputs.")
  Path inputFile;

  @Option(names = "--output", required = true, paramLabel = "Y.npy", description = "Where to write the outputs.")
  Path outputFile;

  @Option(names = "--stream", description = "Step through each stream with a StreamingSession instead of the sequence API.")
  boolean stream;

  @Option(names = "--max-weight-bytes", paramLabel = "N", description = "Refuse a model whose prepared weights need "
      + "more than N bytes (LoadOptions.maxWeightBytes; default ${DEFAULT-VALUE}). Lower it for untrusted files.")
  long maxWeightBytes = LoadOptions.DEFAULT_MAX_WEIGHT_BYTES;

  /** The most floats one output array may hold: the largest Java array the JVM reliably allocates. */
  static final long MAX_OUTPUT_FLOATS = Integer.MAX_VALUE - 8;

  @Override
  public Integer call() throws Exception {
    LoadOptions options = LoadOptions.builder().maxWeightBytes(maxWeightBytes).build();
    NpyArray x = Npy.read(inputFile);
    try (Model model = Model.load(modelFile, options)) {
      int[] shape = x.shape();
      boolean tokens = model.isTokenModel();
      int featureDims = tokens ? 0 : 1;
      if (shape.length != 1 + featureDims && shape.length != 2 + featureDims) {
        throw new IllegalArgumentException(inputFile + ": shape " + Arrays.toString(shape) + " does not fit a "
            + (tokens ? "token model: expected [T] or [T, N] token ids" : "vector model: expected [T, " + model.inputSize()
            + "] or [T, N, " + model.inputSize() + "]"));
      }
      int steps = shape[0];
      boolean batched = shape.length == 2 + featureDims;
      int batch = batched ? shape[1] : 1;
      if (!tokens && shape[shape.length - 1] != model.inputSize()) {
        throw new IllegalArgumentException(inputFile + ": last dimension is " + shape[shape.length - 1] + " but the model takes "
            + model.inputSize() + " inputs per step");
      }
      requireOutputFits(steps, batch, model.outputSize());
      float[] y;
      try {
        y = tokens ? runTokens(model, x.toInts(), steps, batch) : runVectors(model, x.toFloats(), steps, batch);
      } catch (IllegalStateException e) {
        throw e.getMessage().startsWith("expected") ? new IllegalArgumentException(inputFile + ": " + e.getMessage()
            + (tokens ? " (this is a token model)" : " (this is a vector model)")) : e;
      }
      int[] outShape = batched ? new int[] {steps, batch, model.outputSize()} : new int[] {steps, model.outputSize()};
      Npy.write(NpyArray.ofFloats(y, outShape), outputFile);
      spec.commandLine().getOut().printf("wrote %s: float32 %s (%d steps x %d stream%s, %s)%n", outputFile, Arrays.toString(outShape),
          steps, batch, batch == 1 ? "" : "s", stream ? "streamed step by step" : "sequence API");
    }
    return 0;
  }

  /** Refuses inputs whose output (steps x streams x outputs floats) cannot be one Java array, before running anything. */
  private void requireOutputFits(int steps, int batch, int outputSize) {
    long floats;
    try {
      floats = Math.multiplyExact(Math.multiplyExact((long) steps, (long) batch), (long) outputSize);
    } catch (ArithmeticException e) {
      floats = Long.MAX_VALUE;
    }
    if (floats > MAX_OUTPUT_FLOATS) {
      throw new IllegalArgumentException(inputFile + ": the output would have " + steps + " steps x " + batch + " stream"
          + (batch == 1 ? "" : "s") + " x " + outputSize + " outputs = " + (floats == Long.MAX_VALUE ? "more than 2^63" : String.valueOf(floats)) + " floats, more than one array holds ("
          + MAX_OUTPUT_FLOATS + "); run the input in smaller parts");
    }
  }

  private float[] runVectors(Model model, float[] x, int steps, int batch) {
    int in = model.inputSize();
    int out = model.outputSize();
    if (!stream) {
      return model.run(SequenceBatch.ofVectors(x, steps, batch)).output();
    }
    float[] y = new float[steps * batch * out];
    float[] input = new float[in];
    float[] output = new float[out];
    for (int n = 0; n < batch; n++) {
      try (StreamingSession session = model.newSession()) {
        for (int t = 0; t < steps; t++) {
          System.arraycopy(x, (t * batch + n) * in, input, 0, in);
          session.step(input, output);
          System.arraycopy(output, 0, y, (t * batch + n) * out, out);
        }
      }
    }
    return y;
  }

  private float[] runTokens(Model model, int[] ids, int steps, int batch) {
    int out = model.outputSize();
    if (!stream) {
      return model.run(SequenceBatch.ofTokens(ids, steps, batch)).output();
    }
    float[] y = new float[steps * batch * out];
    float[] output = new float[out];
    for (int n = 0; n < batch; n++) {
      try (StreamingSession session = model.newSession()) {
        for (int t = 0; t < steps; t++) {
          session.step(ids[t * batch + n], output);
          System.arraycopy(output, 0, y, (t * batch + n) * out, out);
        }
      }
    }
    return y;
  }
}
