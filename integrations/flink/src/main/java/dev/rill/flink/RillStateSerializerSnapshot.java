package dev.rill.flink;

import dev.rill.flink.ModelIdentity.RecurrentLayerShape;
import dev.rill.runtime.State;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * What a checkpoint records about {@link RillStateSerializer}: the {@link ModelIdentity} of the model whose
 * states it holds. On restore, Flink asks the job's serializer whether it can read those states; it can when the
 * identities are equal. With another model it throws {@link IllegalStateException} naming both models, rather
 * than reporting a bare "incompatible", so the failed restore says what is wrong: one model's recurrent state
 * is never fed to another.
 *
 * <p>Versioned: version 1 writes the number of recurrent layers, for each its name, kind, directions, input
 * size and hidden size, then the model's input and output sizes and the weights' SHA-256.
 */
public final class RillStateSerializerSnapshot implements TypeSerializerSnapshot<State> {

  private static final int VERSION = 1;

  private ModelIdentity identity;

  /** For Flink, which creates the snapshot by reflection and then calls {@link #readSnapshot}. */
  public RillStateSerializerSnapshot() {
  }

  /** The snapshot of a serializer of the model with this identity. */
  public RillStateSerializerSnapshot(ModelIdentity identity) {
    this.identity = identity;
  }

  /** The identity of the model the snapshotted states belong to; null before {@link #readSnapshot}. */
  public ModelIdentity identity() {
    return identity;
  }

  @Override
  public int getCurrentVersion() {
    return VERSION;
  }

  @Override
  public void writeSnapshot(DataOutputView out) throws IOException {
    out.writeInt(identity.recurrentLayers().size());
    for (RecurrentLayerShape layer : identity.recurrentLayers()) {
      out.writeUTF(layer.name());
      out.writeUTF(layer.kind());
      out.writeInt(layer.directions());
      out.writeInt(layer.inputSize());
      out.writeInt(layer.hiddenSize());
    }
    out.writeInt(identity.inputSize());
    out.writeInt(identity.outputSize());
    out.writeUTF(identity.weightsSha256());
  }

  @Override
  public void readSnapshot(int readVersion, DataInputView in, ClassLoader userCodeClassLoader) throws IOException {
    if (readVersion != VERSION) {
      throw new IOException("the checkpoint's Rill state serializer snapshot has version " + readVersion
          + "; this rill-flink reads version " + VERSION + " (was the checkpoint taken by a newer rill-flink?)");
    }
    int count = in.readInt();
    if (count < 0) {
      throw new IOException("corrupt Rill state serializer snapshot: " + count + " recurrent layers");
    }
    List<RecurrentLayerShape> layers = new ArrayList<>(count);
    for (int r = 0; r < count; r++) {
      layers.add(new RecurrentLayerShape(in.readUTF(), in.readUTF(), in.readInt(), in.readInt(), in.readInt()));
    }
    int inputSize = in.readInt();
    int outputSize = in.readInt();
    identity = new ModelIdentity(layers, inputSize, outputSize, in.readUTF());
  }

  @Override
  public TypeSerializer<State> restoreSerializer() {
    return new RillStateSerializer(identity);
  }

  /**
   * Compatible as is when {@code oldSerializerSnapshot} is of the same model.
   *
   * @throws IllegalStateException when the checkpoint's states belong to another model; the message names both
   */
  @Override
  public TypeSerializerSchemaCompatibility<State> resolveSchemaCompatibility(
      TypeSerializerSnapshot<State> oldSerializerSnapshot) {
    if (!(oldSerializerSnapshot instanceof RillStateSerializerSnapshot old)) {
      return TypeSerializerSchemaCompatibility.incompatible();
    }
    String difference = identity.differenceFrom(old.identity, "the checkpoint's model", "this job's model");
    if (difference == null) {
      return TypeSerializerSchemaCompatibility.compatibleAsIs();
    }
    throw new IllegalStateException("the checkpoint holds the Rill recurrent states of another model than this "
        + "job's, and one model's state is meaningless to another: " + difference + ". Restore the checkpoint with the model it was taken "
        + "with, or start the Rill operator without this state (for example under a new uid)");
  }
}
