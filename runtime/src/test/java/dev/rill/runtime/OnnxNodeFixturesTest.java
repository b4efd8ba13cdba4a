package dev.rill.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.CodedInputStream;
import dev.rill.format.ModelBuilder;
import dev.rill.format.proto.Direction;
import dev.rill.runtime.testing.SharedFixtures;
import dev.rill.runtime.testing.Tolerance;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The official ONNX backend node tests for LSTM, GRU and RNN ({@code ../shared/fixtures/onnx-node}): their
 * inputs are fed to the runtime as a one-layer model and its Y / Y_h compared with the official outputs.
 * None of these cases sets an attribute other than hidden_size and layout (see the fixtures' README), so the
 * model uses the defaults. The batchwise (layout 1) cases have T = 1 and D = 1, where [N, T, ...] and
 * [T, N, ...] are the same memory. The converter module owns real ONNX parsing; a {@code TensorProto} is
 * read here with a few lines over protobuf's wire format.
 */
class OnnxNodeFixturesTest {

  @ParameterizedTest
  @ValueSource(strings = {"test_lstm_defaults", "test_lstm_with_initial_bias", "test_lstm_with_peepholes",
      "test_lstm_batchwise", "test_gru_defaults", "test_gru_with_initial_bias", "test_gru_seq_length",
      "test_gru_batchwise", "test_simple_rnn_defaults", "test_simple_rnn_with_initial_bias", "test_rnn_seq_length",
      "test_simple_rnn_batchwise"})
  void matchesOfficialOutputs(String name) throws IOException {
    Path dir = SharedFixtures.require("fixtures/onnx-node/" + name + "/test_data_set_0");
    Map<String, OnnxTensor> in = readAll(dir, "input_");
    Map<String, OnnxTensor> out = readAll(dir, "output_");
    OnnxTensor x = in.get("X");
    boolean batchwise = name.endsWith("batchwise");
    int steps = (int) x.dims[batchwise ? 1 : 0];
    int batch = (int) x.dims[batchwise ? 0 : 1];
    int inputSize = (int) x.dims[2];
    int hidden = (int) in.get("R").dims[2];
    assertTrue(!batchwise || steps == 1, "batchwise cases are read as time-major only when T = 1");

    float[] w = in.get("W").floats();
    float[] r = in.get("R").floats();
    float[] bias = in.containsKey("B") ? in.get("B").floats() : null;
    ModelBuilder model = ModelBuilder.create().input(inputSize);
    if (name.contains("lstm")) {
      model.lstm(name, Direction.FORWARD, hidden, w, r, bias);
      if (in.containsKey("P")) {
        model.peepholes(in.get("P").floats());
      }
    } else if (name.contains("gru")) {
      model.gru(name, Direction.FORWARD, hidden, w, r, bias, false);
    } else {
      model.rnn(name, Direction.FORWARD, hidden, w, r, bias);
    }

    try (Model m = Model.of(model.build())) {
      SequenceBatch input = SequenceBatch.ofVectors(x.floats(), steps, batch);
      if (in.containsKey("sequence_lens")) {
        input = input.withLengths(in.get("sequence_lens").ints());
      }
      if (in.containsKey("initial_h")) {
        State.Builder state = State.builder(m, batch).hidden(0, in.get("initial_h").floats());
        if (in.containsKey("initial_c")) {
          state.cell(0, in.get("initial_c").floats());
        }
        input = input.withInitialState(state.build());
      }
      SequenceResult result = m.run(input);
      int checked = 0;
      if (out.containsKey("Y")) {
        Tolerance.assertClose(out.get("Y").doubles(), result.layerOutput(0), name + " Y");
        checked++;
      }
      if (out.containsKey("Y_h")) {
        Tolerance.assertClose(out.get("Y_h").doubles(), result.finalState().hidden(0), name + " Y_h");
        checked++;
      }
      assertTrue(checked > 0, name + ": no output compared");
    }
  }

  private static Map<String, OnnxTensor> readAll(Path dir, String prefix) throws IOException {
    Map<String, OnnxTensor> tensors = new HashMap<>();
    try (var files = Files.list(dir)) {
      for (Path file : files.filter(f -> f.getFileName().toString().startsWith(prefix)).toList()) {
        OnnxTensor t = OnnxTensor.parse(Files.readAllBytes(file));
        tensors.put(t.name, t);
      }
    }
    assertTrue(!tensors.isEmpty(), "no " + prefix + "*.pb in " + dir);
    return tensors;
  }

  /** The fields of onnx.TensorProto used by these files: dims (1), data_type (2), name (8), raw_data (9). */
  private record OnnxTensor(String name, long[] dims, int dataType, byte[] raw) {
    static final int FLOAT = 1;
    static final int INT32 = 6;

    static OnnxTensor parse(byte[] bytes) throws IOException {
      CodedInputStream in = CodedInputStream.newInstance(bytes);
      List<Long> dims = new ArrayList<>();
      String name = "";
      int dataType = 0;
      byte[] raw = new byte[0];
      for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
        switch (tag) {
          case (1 << 3) -> dims.add(in.readInt64());
          case (1 << 3) | 2 -> {
            int limit = in.pushLimit(in.readRawVarint32());
            while (in.getBytesUntilLimit() > 0) {
              dims.add(in.readInt64());
            }
            in.popLimit(limit);
          }
          case (2 << 3) -> dataType = in.readInt32();
          case (8 << 3) | 2 -> name = in.readString();
          case (9 << 3) | 2 -> raw = in.readByteArray();
          default -> in.skipField(tag);
        }
      }
      return new OnnxTensor(name, dims.stream().mapToLong(Long::longValue).toArray(), dataType, raw);
    }

    float[] floats() {
      assertEquals(FLOAT, dataType, name + " is float32");
      float[] out = new float[raw.length / 4];
      ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
      return out;
    }

    double[] doubles() {
      return Tolerance.toDoubles(floats());
    }

    int[] ints() {
      assertEquals(INT32, dataType, name + " is int32");
      int[] out = new int[raw.length / 4];
      ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(out);
      return out;
    }
  }
}
