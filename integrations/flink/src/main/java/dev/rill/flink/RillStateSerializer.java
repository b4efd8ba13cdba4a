package dev.rill.flink;

import dev.rill.flink.ModelIdentity.RecurrentLayerShape;
import dev.rill.runtime.State;
import java.io.IOException;
import java.io.Serial;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Objects;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Flink's serializer of one stream's Rill {@link State} (batch size 1) for one model, so that keyed state never
 * goes through Kryo. A value is fixed-length: every recurrent layer's {@code h}, then its {@code c} for an LSTM,
 * as big-endian float32, with nothing else; the layout comes from the {@link ModelIdentity} that the serializer
 * and its {@link RillStateSerializerSnapshot} record. Restoring a checkpoint with a serializer of another model
 * fails in the snapshot's compatibility check, with a message that names both models.
 *
 * <p>Not thread-safe (it reuses a byte buffer); {@link #duplicate()} gives each thread its own, as Flink does.
 */
public final class RillStateSerializer extends TypeSerializer<State> {

  @Serial
  private static final long serialVersionUID = 1L;

  private static final VarHandle FLOATS = MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.BIG_ENDIAN);

  private final ModelIdentity identity;
  private final int length;
  private transient byte[] buffer;

  /** A serializer of the states of the model with this identity. */
  public RillStateSerializer(ModelIdentity identity) {
    this.identity = Objects.requireNonNull(identity, "identity");
    this.length = identity.stateBytes();
  }

  /** The identity of the model whose states this serializer reads and writes. */
  public ModelIdentity identity() {
    return identity;
  }

  @Override
  public boolean isImmutableType() {
    return true;
  }

  @Override
  public TypeSerializer<State> duplicate() {
    return new RillStateSerializer(identity);
  }

  /** The zero state, as a new stream starts from. */
  @Override
  public State createInstance() {
    return stateOf(zeros(false), zeros(true));
  }

  @Override
  public State copy(State from) {
    return from;
  }

  @Override
  public State copy(State from, State reuse) {
    return from;
  }

  @Override
  public int getLength() {
    return length;
  }

  @Override
  public void serialize(State state, DataOutputView target) throws IOException {
    List<RecurrentLayerShape> layers = identity.recurrentLayers();
    if (state.batchSize() != 1 || state.recurrentLayerCount() != layers.size()) {
      throw new IllegalArgumentException("a state of " + state.recurrentLayerCount() + " recurrent layers and "
          + state.batchSize() + " streams cannot be written as one stream's state of the " + identity);
    }
    byte[] bytes = buffer();
    int at = 0;
    for (int r = 0; r < layers.size(); r++) {
      RecurrentLayerShape layer = layers.get(r);
      at = put(bytes, at, state.hidden(r), layer, "h");
      if (layer.hasCellState()) {
        at = put(bytes, at, state.cell(r), layer, "c");
      }
    }
    target.write(bytes, 0, length);
  }

  @Override
  public State deserialize(DataInputView source) throws IOException {
    byte[] bytes = buffer();
    source.readFully(bytes, 0, length);
    float[][] hidden = zeros(false);
    float[][] cell = zeros(true);
    int at = 0;
    for (int r = 0; r < hidden.length; r++) {
      at = get(bytes, at, hidden[r]);
      if (cell[r] != null) {
        at = get(bytes, at, cell[r]);
      }
    }
    return stateOf(hidden, cell);
  }

  @Override
  public State deserialize(State reuse, DataInputView source) throws IOException {
    return deserialize(source);
  }

  @Override
  public void copy(DataInputView source, DataOutputView target) throws IOException {
    target.write(source, length);
  }

  @Override
  public TypeSerializerSnapshot<State> snapshotConfiguration() {
    return new RillStateSerializerSnapshot(identity);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof RillStateSerializer that && identity.equals(that.identity);
  }

  @Override
  public int hashCode() {
    return identity.hashCode();
  }

  @Override
  public String toString() {
    return "RillStateSerializer[" + identity + "]";
  }

  /** One stream's zero h (or c) per recurrent layer; null for the c of a layer without a cell state. */
  private float[][] zeros(boolean cellState) {
    List<RecurrentLayerShape> layers = identity.recurrentLayers();
    float[][] values = new float[layers.size()][];
    for (int r = 0; r < values.length; r++) {
      RecurrentLayerShape layer = layers.get(r);
      values[r] = !cellState || layer.hasCellState() ? new float[layer.floatsPerStream()] : null;
    }
    return values;
  }

  /** One stream's state of this serializer's model from its h and c per recurrent layer. */
  private State stateOf(float[][] hidden, float[][] cell) {
    List<RecurrentLayerShape> layers = identity.recurrentLayers();
    int[] directions = layers.stream().mapToInt(RecurrentLayerShape::directions).toArray();
    int[] hiddenSizes = layers.stream().mapToInt(RecurrentLayerShape::hiddenSize).toArray();
    return State.of(1, directions, hiddenSizes, hidden, cell);
  }

  private byte[] buffer() {
    if (buffer == null) {
      buffer = new byte[length];
    }
    return buffer;
  }

  private int put(byte[] bytes, int at, float[] values, RecurrentLayerShape layer, String what) {
    if (values == null || values.length != layer.floatsPerStream()) {
      throw new IllegalArgumentException("the state's " + what + " of " + layer + " has "
          + (values == null ? "no values" : values.length + " floats") + " but the " + identity + " needs "
          + layer.floatsPerStream());
    }
    for (float value : values) {
      FLOATS.set(bytes, at, value);
      at += Float.BYTES;
    }
    return at;
  }

  private static int get(byte[] bytes, int at, float[] values) {
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) FLOATS.get(bytes, at);
      at += Float.BYTES;
    }
    return at;
  }
}
