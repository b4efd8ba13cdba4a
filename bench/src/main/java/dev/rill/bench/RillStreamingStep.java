package dev.rill.bench;

import dev.rill.bench.RecurrentWorkload.Cell;
import dev.rill.runtime.LoadOptions;
import dev.rill.runtime.Model;
import dev.rill.runtime.StreamingSession;
import dev.rill.runtime.WeightType;
import dev.rill.runtime.internal.kernel.KernelProvider;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One Rill streaming session of a {@link RecurrentWorkload} at batch 1, stepped through the public API with
 * off-heap input and output segments ({@link StreamingSession#step(MemorySegment, MemorySegment)}), on the kernels
 * a benchmark asks for.
 */
final class RillStreamingStep implements AutoCloseable {

  private final Arena arena = Arena.ofShared();
  private final Model model;
  private final StreamingSession session;
  private final MemorySegment input;
  private final MemorySegment output;

  /**
   * Chooses the kernels of this JVM, then loads the workload's model and opens a session.
   *
   * @param workload S, M or L
   * @param cell LSTM or GRU
   * @param kernels "scalar" or "vector": the value of {@code -Drill.kernels} for this JVM
   * @param weights the weight precision
   */
  RillStreamingStep(RecurrentWorkload workload, Cell cell, String kernels, WeightType weights) {
    useKernels(kernels);
    model = Model.of(workload.model(cell), LoadOptions.builder().weights(weights).build());
    session = model.newSession();
    float[] x = RecurrentWorkload.inputs(workload.inputSize());
    input = arena.allocate((long) x.length * Float.BYTES, 64);
    MemorySegment.copy(x, 0, input, ValueLayout.JAVA_FLOAT, 0, x.length);
    output = arena.allocate((long) workload.hiddenSize() * Float.BYTES, 64);
  }

  /**
   * Sets {@code -Drill.kernels} before the provider makes its once-per-JVM choice, and checks that it obeyed.
   * This works because JMH runs every parameter combination in its own forked JVM; with {@code -f 0} (no forks)
   * the second value would meet a provider that has already chosen, and this fails instead of mislabelling.
   *
   * @param kernels "scalar" or "vector"
   * @throws IllegalStateException if the provider picked other kernels (for "vector": this build has no vector
   *     kernels, or the JVM cannot run them; the provider's log line says why)
   */
  static void useKernels(String kernels) {
    System.setProperty(KernelProvider.PROPERTY, kernels);
    String chosen = KernelProvider.get().name();
    if (!chosen.startsWith(kernels)) {
      throw new IllegalStateException("kernels=" + kernels + " was asked for but the provider chose '" + chosen
          + "' (its log line says why; with -f 0 every benchmark shares one JVM, and one choice)");
    }
  }

  /** One step: input → state → output. */
  void step() {
    session.step(input, output);
  }

  /**
   * Returns the output segment, for JMH to consume.
   *
   * @return the output of the last step
   */
  MemorySegment output() {
    return output;
  }

  @Override
  public void close() {
    session.close();
    model.close();
    arena.close();
  }
}
