package dev.rill.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.rill.converter.onnx.export.ExportOptions;
import dev.rill.converter.onnx.export.OnnxExporter;
import dev.rill.format.GateLayout;
import dev.rill.format.proto.RillModel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An ONNX Runtime session on a Rill model exported by {@link OnnxExporter} to a temporary file (as a user would
 * run it: from a file), with the session options of the benchmarks: sequential execution, a given number of
 * intra-op threads and no inter-op threads.
 */
final class OrtHarness implements AutoCloseable {

  final OrtEnvironment env = OrtEnvironment.getEnvironment();
  final OrtSession session;
  final String input;
  final String output;

  OrtHarness(RillModel model, ExportOptions exportOptions, int threads) throws IOException, OrtException {
    Path file = Files.createTempFile("rill-bench-", ".onnx");
    try {
      new OnnxExporter(exportOptions).export(model, file);
      try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
        options.setIntraOpNumThreads(threads);
        options.setInterOpNumThreads(1);
        options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        session = env.createSession(file.toString(), options);
      }
    } finally {
      Files.deleteIfExists(file);
    }
    input = OnnxExporter.inputName(model);
    output = OnnxExporter.outputName(model);
  }

  /** A tensor over direct native-order memory, which ORT reads and writes in place, without copies. */
  record Pinned(OnnxTensor tensor, FloatBuffer buffer) implements AutoCloseable {
    @Override
    public void close() {
      tensor.close();
    }
  }

  /** Allocates a zero-filled {@link Pinned} tensor of the given shape. */
  Pinned pinned(long... shape) throws OrtException {
    long count = 1;
    for (long d : shape) {
      count *= d;
    }
    FloatBuffer buffer = ByteBuffer.allocateDirect(Math.toIntExact(count * Float.BYTES))
        .order(ByteOrder.nativeOrder()).asFloatBuffer();
    return new Pinned(OnnxTensor.createTensor(env, buffer, shape), buffer);
  }

  /** True when the model's only recurrent layer is an LSTM, which also has a cell state. */
  static boolean hasCellState(RillModel model) {
    return model.getLayersList().stream().filter(GateLayout::isRecurrent).findFirst().orElseThrow().hasLstm();
  }

  @Override
  public void close() throws OrtException {
    session.close();
  }
}
