package dev.rill.flink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rill.runtime.Model;
import dev.rill.runtime.State;
import dev.rill.runtime.StreamingSession;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeutils.SerializerTestBase;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.testutils.DeeplyEqualsChecker;
import org.junit.jupiter.api.Test;

/**
 * {@link RillStateSerializer} against Flink's own serializer test suite ({@link SerializerTestBase}: lengths,
 * copies, sequences, duplicates, the snapshot round trip), with states of a model with an LSTM and a GRU layer;
 * and its snapshot's versioning and compatibility.
 */
class RillStateSerializerTest extends SerializerTestBase<State> {

  private static final ModelIdentity IDENTITY = ModelIdentity.of(TestModels.lstmGru(3));

  RillStateSerializerTest() {
    // State has no equals(): compare shapes and values, bit for bit.
    super(new DeeplyEqualsChecker().withCustomCheck((a, b) -> a instanceof State && b instanceof State,
        (a, b, checker) -> sameBits((State) a, (State) b)));
  }

  private static boolean sameBits(State a, State b) {
    if (a.recurrentLayerCount() != b.recurrentLayerCount() || a.batchSize() != b.batchSize()) {
      return false;
    }
    for (int r = 0; r < a.recurrentLayerCount(); r++) {
      if (a.directions(r) != b.directions(r) || a.hiddenSize(r) != b.hiddenSize(r)
          || !sameBits(a.hidden(r), b.hidden(r)) || !sameBits(a.cell(r), b.cell(r))) {
        return false;
      }
    }
    return true;
  }

  private static boolean sameBits(float[] a, float[] b) {
    if (a == null || b == null) {
      return a == b;
    }
    if (a.length != b.length) {
      return false;
    }
    for (int i = 0; i < a.length; i++) {
      if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
        return false;
      }
    }
    return true;
  }

  @Override
  protected TypeSerializer<State> createSerializer() {
    return new RillStateSerializer(IDENTITY);
  }

  @Override
  protected int getLength() {
    // LSTM 6: h and c; GRU 5: h. Float32 each.
    return (6 + 6 + 5) * Float.BYTES;
  }

  @Override
  protected Class<State> getTypeClass() {
    return State.class;
  }

  @Override
  protected State[] getTestData() {
    List<State> states = new ArrayList<>();
    try (Model model = Model.of(TestModels.lstmGru(3)); StreamingSession session = model.newSession()) {
      states.add(session.snapshot());
      float[] y = new float[model.outputSize()];
      for (int t = 0; t < 4; t++) {
        session.step(new float[] {t, -t, 0.5f * t, Float.MIN_VALUE}, y);
        states.add(session.snapshot());
      }
      session.step(new float[] {Float.NaN, 0, 0, 0}, y);
      states.add(session.snapshot());
    }
    return states.toArray(State[]::new);
  }

  @Override
  protected void deepEquals(String message, State expected, State actual) {
    assertTrue(sameBits(expected, actual), message);
  }

  @Override
  protected boolean allowNullInstances(TypeSerializer<State> serializer) {
    return false;
  }

  @Test
  void theSnapshotRecordsTheModelIdentity() throws IOException {
    TypeSerializerSnapshot<State> snapshot = createSerializer().snapshotConfiguration();
    DataOutputSerializer out = new DataOutputSerializer(256);
    TypeSerializerSnapshot.writeVersionedSnapshot(out, snapshot);
    TypeSerializerSnapshot<State> read = TypeSerializerSnapshot.readVersionedSnapshot(
        new DataInputDeserializer(out.getCopyOfBuffer()), getClass().getClassLoader());
    assertEquals(IDENTITY, ((RillStateSerializerSnapshot) read).identity());
    assertEquals(createSerializer(), read.restoreSerializer());
    assertTrue(snapshot.resolveSchemaCompatibility(read).isCompatibleAsIs());
  }

  @Test
  void anUnknownSnapshotVersionIsRefused() {
    IOException e = assertThrows(IOException.class, () -> new RillStateSerializerSnapshot().readSnapshot(2,
        new DataInputDeserializer(new byte[16]), getClass().getClassLoader()));
    assertTrue(e.getMessage().contains("version 2; this rill-flink reads version 1"), e.getMessage());
  }

  @Test
  void aStateOfAnotherModelIsNotWritten() {
    State other;
    try (Model model = Model.of(TestModels.rnn(3)); StreamingSession session = model.newSession()) {
      other = session.snapshot();
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> createSerializer().serialize(other, new DataOutputSerializer(64)));
    assertTrue(e.getMessage().contains("a state of 1 recurrent layers and 1 streams cannot be written"),
        e.getMessage());
  }

  @Test
  void theZeroInstanceIsANewStreamsState() {
    State zero = createSerializer().createInstance();
    assertEquals(2, zero.recurrentLayerCount());
    assertArrayEquals(new float[6], zero.cell(0));
    assertArrayEquals(new float[5], zero.hidden(1));
  }
}
