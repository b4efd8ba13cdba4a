package dev.rill.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.ByteString;
import dev.rill.format.proto.Activation;
import dev.rill.format.proto.Activations;
import dev.rill.format.proto.DataType;
import dev.rill.format.proto.FormatVersion;
import dev.rill.format.proto.InputKind;
import dev.rill.format.proto.InputLayer;
import dev.rill.format.proto.Layer;
import dev.rill.format.proto.RillModel;
import dev.rill.format.proto.Tensor;
import dev.rill.format.proto.Vocabulary;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every defect gives a {@link ModelFormatException} whose message names what is wrong. */
class MalformedModelTest {
  @TempDir Path dir;

  private final ModelReader reader = new ModelReader();

  // ------------------------------------------------------------------------------------- raw bytes

  @Test
  void emptyFile() throws IOException {
    Path file = Files.write(dir.resolve("empty.rill"), new byte[0]);
    var e = assertThrows(ModelFormatException.class, () -> reader.read(file));
    assertEquals(file + ": not a Rill model file: it is empty", e.getMessage());
    assertMessage("not a Rill model file: it is empty", () -> reader.read(new byte[0]));
    assertMessage("not a Rill model file: it is empty", () -> reader.read(new ByteArrayInputStream(new byte[0])));
  }

  @Test
  void truncatedFileAtEveryLength() throws IOException {
    byte[] full = TestModels.lstmFull().toByteArray();
    int parseErrors = 0;
    for (int length = 1; length < full.length; length++) {
      byte[] cut = java.util.Arrays.copyOf(full, length);
      ModelFormatException e = assertThrows(ModelFormatException.class, () -> reader.read(cut), "length " + length);
      if (e.getMessage().startsWith("not a Rill model file: ")) {
        parseErrors++;
      }
    }
    // Most cuts land inside a field; the rest end between fields and fail validation instead.
    assertTrue(parseErrors > full.length / 2, parseErrors + " of " + full.length);
  }

  @Test
  void truncatedInsideTensorDataSaysTheInputEnded() throws IOException {
    byte[] full = TestModels.lstm().toByteArray();
    Path file = Files.write(dir.resolve("cut.rill"), java.util.Arrays.copyOf(full, full.length / 2));
    var e = assertThrows(ModelFormatException.class, () -> reader.read(file));
    assertTrue(e.getMessage().startsWith(file + ": not a Rill model file: "), e.getMessage());
    assertTrue(e.getMessage().contains("ended unexpectedly"), e.getMessage());
  }

  @Test
  void randomBytesNeverGiveAnythingButModelFormatException() {
    for (int seed = 0; seed < 3000; seed++) {
      Random rnd = new Random(seed);
      byte[] bytes = new byte[1 + rnd.nextInt(seed < 1000 ? 16 : 2000)];
      rnd.nextBytes(bytes);
      try {
        reader.read(bytes);
        fail("seed " + seed + ": random bytes were accepted as a model");
      } catch (ModelFormatException e) {
        assertTrue(e.getMessage() != null && !e.getMessage().isBlank(), "seed " + seed);
      }
    }
  }

  @Test
  void flippedBytesOfAValidFileGiveAValidModelOrModelFormatException() {
    byte[] valid = TestModels.lstmFull().toByteArray();
    int rejected = 0;
    for (int seed = 0; seed < 3000; seed++) {
      Random rnd = new Random(seed);
      byte[] bytes = valid.clone();
      for (int k = 1 + rnd.nextInt(3); k > 0; k--) {
        bytes[rnd.nextInt(bytes.length)] ^= (byte) (1 + rnd.nextInt(255));
      }
      try {
        reader.read(bytes); // e.g. a flip inside a metadata value still gives a valid model
      } catch (ModelFormatException e) {
        rejected++;
      }
    }
    assertTrue(rejected > 2500, rejected + " of 3000 corrupted files were rejected");
  }

  @Test
  void declaredFieldLengthBeyondTheFileIsATruncationNotAnAllocation() {
    // Field 3 (tensors), wire type 2, declared length 0x7FFFFFF0, then 3 bytes.
    byte[] bytes = {0x1A, (byte) 0xF0, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x07, 1, 2, 3};
    assertMessage("not a Rill model file: ", () -> reader.read(bytes));
  }

  @Test
  void invalidTag() {
    assertMessage("not a Rill model file: ", () -> reader.read(new byte[] {0, 0, 0}));
  }

  @Test
  void fileOverTheSizeCap() throws IOException {
    byte[] bytes = TestModels.lstm().toByteArray();
    Path file = Files.write(dir.resolve("big.rill"), bytes);
    ModelReader small = new ModelReader(ReaderLimits.DEFAULT.withMaxFileBytes(100));
    assertMessage("the model is larger than the limit of 100 bytes (ReaderLimits.maxFileBytes): it is "
        + bytes.length + " bytes", () -> small.read(file));
    assertMessage("larger than the limit of 100 bytes", () -> small.read(bytes));
    assertMessage("larger than the limit of 100 bytes", () -> small.read(new ByteArrayInputStream(bytes)));
  }

  // ------------------------------------------------------------------------------------- version

  @Test
  void newerMajorVersion() {
    assertRejected(m -> m.toBuilder().setVersion(FormatVersion.newBuilder().setMajor(2).setMinor(0)).build(),
        "file format version 2.0 is newer than this reader supports (1.x); upgrade Rill");
  }

  @Test
  void newerMinorVersionIsAccepted() throws ModelFormatException {
    RillModel m = TestModels.lstm().toBuilder().setVersion(FormatVersion.newBuilder().setMajor(1).setMinor(7))
        .build();
    assertEquals(m, reader.read(m.toByteArray()));
  }

  @Test
  void missingVersion() {
    assertRejected(m -> m.toBuilder().clearVersion().build(), "version: missing");
  }

  @Test
  void majorVersionZero() {
    assertRejected(m -> m.toBuilder().setVersion(FormatVersion.getDefaultInstance()).build(),
        "version: major version is 0");
  }

  // ------------------------------------------------------------------------------------- tensors

  @Test
  void hugeDeclaredDimensions() {
    assertRejected(m -> withTensor(m, tensor("lstm0.W").clearShape().addShape(1L << 40).addShape(1L << 40).build()),
        "tensor 'lstm0.W': shape [1099511627776, 1099511627776] has too many elements");
    assertRejected(m -> withTensor(m, tensor("lstm0.W").clearShape().addShape(-1L).build()),
        "tensor 'lstm0.W': shape [18446744073709551615] has too many elements");
    assertRejected(m -> withTensor(m, tensor("lstm0.W").clearShape().addShape(1L << 40).build()),
        "tensor 'lstm0.W': shape [1099511627776] has 1099511627776 elements, over the limit of 536870912");
  }

  @Test
  void tensorOverTheElementCap() throws ModelFormatException {
    byte[] bytes = TestModels.lstm().toByteArray();
    assertMessage("tensor 'lstm0.W': shape [1, 16, 3] has 48 elements, over the limit of 40 "
        + "(ReaderLimits.maxTensorElements)",
        () -> new ModelReader(ReaderLimits.DEFAULT.withMaxTensorElements(40)).read(bytes));
  }

  @Test
  void rankOverTheCap() {
    assertRejected(m -> withTensor(m, Tensors.fp32("lstm0.W", new float[48], 1, 1, 1, 1, 1, 1, 1, 1, 16, 3)),
        "tensor 'lstm0.W': rank 10 is over the limit of 8");
  }

  @Test
  void byteLengthMismatch() {
    assertRejected(m -> withTensor(m, Tensors.withChecksum(
            tensor("lstm0.W").setData(ByteString.copyFrom(new byte[188])).build())),
        "tensor 'lstm0.W': data is 188 bytes, but shape [1, 16, 3] of FLOAT32 needs 192 bytes");
  }

  @Test
  void checksumMismatch() {
    assertRejected(m -> withTensor(m, tensor("lstm0.R").setCrc32C(12345).build()),
        "tensor 'lstm0.R': checksum mismatch (stored CRC32C 0x00003039, computed 0x");
  }

  @Test
  void corruptedTensorDataInTheFile() throws IOException {
    RillModel model = TestModels.lstm();
    byte[] bytes = model.toByteArray();
    byte[] data = model.getTensorsList().stream().filter(t -> t.getName().equals("lstm0.R")).findFirst()
        .orElseThrow().getData().toByteArray();
    int at = indexOf(bytes, data);
    bytes[at + 17] ^= 0x01;
    Path file = Files.write(dir.resolve("corrupt.rill"), bytes);
    assertMessage("tensor 'lstm0.R': checksum mismatch", () -> reader.read(file));
  }

  @Test
  void unknownAndUnspecifiedDtype() {
    assertRejected(m -> withTensor(m, tensor("lstm0.W").setDtypeValue(9).build()),
        "tensor 'lstm0.W': unknown dtype value 9");
    assertRejected(m -> withTensor(m, tensor("lstm0.W").setDtype(DataType.DATA_TYPE_UNSPECIFIED).build()),
        "tensor 'lstm0.W': dtype is not set");
  }

  @Test
  void duplicateTensorName() {
    assertRejected(m -> m.toBuilder().addTensors(m.getTensors(0)).build(),
        "tensor 'lstm0.W': the name is used twice (tensors #0 and #5); tensor names must be unique");
  }

  @Test
  void emptyTensorName() {
    assertRejected(m -> m.toBuilder().addTensors(Tensors.fp32("", new float[1], 1)).build(),
        "tensor #5: name is empty");
  }

  @Test
  void int8ScaleNotFinite() {
    assertRejected(m -> withTensor(m, withScale(Tensors.int8("lstm0.W", new float[48], 1, 16, 3), 5, Float.NaN)),
        "tensor 'lstm0.W': row_scales[5] is NaN; INT8 row scales must be finite and non-negative");
    assertRejected(m -> withTensor(m, withScale(Tensors.int8("lstm0.W", new float[48], 1, 16, 3), 0, -1f)),
        "tensor 'lstm0.W': row_scales[0] is -1.0");
  }

  @Test
  void int8WithAnEmptyLastDimensionAndHugeRowCount() {
    Tensor empty = Tensor.newBuilder().setName("extra").setDtype(DataType.INT8).addShape(1L << 40).addShape(0)
        .build();
    assertRejected(m -> m.toBuilder().addTensors(Tensors.withChecksum(empty)).build(),
        "tensor 'extra': shape [1099511627776, 0] has 1099511627776 rows, over the limit of 536870912");
    Tensor overflow = empty.toBuilder().clearShape().addShape(1L << 40).addShape(1L << 40).addShape(0).build();
    assertRejected(m -> m.toBuilder().addTensors(Tensors.withChecksum(overflow)).build(),
        // The partial product overflows before the 0 is reached: rejected as too large, never wrapped around.
        "tensor 'extra': shape [1099511627776, 1099511627776, 0] has too many elements");
  }

  @Test
  void int8ScalesWrongLength() {
    Tensor t = Tensors.int8("lstm0.W", new float[48], 1, 16, 3);
    assertRejected(m -> withTensor(m, Tensors.withChecksum(t.toBuilder().setRowScales(t.getRowScales().substring(4))
            .build())),
        "tensor 'lstm0.W': row_scales is 60 bytes, but INT8 shape [1, 16, 3] has 16 rows and needs 64 bytes");
  }

  @Test
  void rowScalesOnAFloatTensor() {
    assertRejected(m -> withTensor(m, Tensors.withChecksum(
            tensor("lstm0.W").setRowScales(ByteString.copyFrom(new byte[4])).build())),
        "tensor 'lstm0.W': has row_scales, but only INT8 tensors have row scales (dtype is FLOAT32)");
  }

  // ------------------------------------------------------------------------------------- layers

  @Test
  void missingTensor() {
    assertRejected(m -> {
      RillModel.Builder b = m.toBuilder().clearTensors();
      m.getTensorsList().stream().filter(t -> !t.getName().equals("lstm0.R")).forEach(b::addTensors);
      return b.build();
    }, "layer 'lstm0' (lstm): tensor 'lstm0.R' (recurrent.r) does not exist");
  }

  @Test
  void requiredTensorNotNamed() {
    assertRejected(m -> withLayer(m, 1, l -> l.getLstmBuilder().getRecurrentBuilder().setW("")),
        "layer 'lstm0' (lstm): recurrent.w names no tensor; it is required");
  }

  @Test
  void wrongShape() {
    assertRejected(m -> withTensor(m, Tensors.fp32("lstm0.W", new float[64], 1, 16, 4)),
        "layer 'lstm0' (lstm): tensor 'lstm0.W' has shape [1, 16, 4], expected [1, 16, 3]");
    assertRejected(m -> withTensor(m, Tensors.fp32("out.weight", new float[8], 4, 2)),
        "layer 'out' (dense): tensor 'out.weight' has shape [4, 2], expected [2, 4]");
  }

  @Test
  void wrongPeepholeShapeInABidirectionalLayer() {
    assertRejected(TestModels.lstmFull(), m -> withTensor(m, Tensors.fp32("lstm0.P", new float[12], 1, 12)),
        "layer 'lstm0' (lstm): tensor 'lstm0.P' has shape [1, 12], expected [2, 12]");
  }

  @Test
  void sizesDoNotChain() {
    assertRejected(m -> withTensor(withLayer(m, 2, l -> l.getDenseBuilder().setInputSize(5)),
            Tensors.fp32("out.weight", new float[10], 2, 5)),
        "layer 'out' (dense): input_size is 5, but the previous layer 'lstm0' (lstm) produces 4 values per step");
  }

  @Test
  void bidirectionalOutputIsTwiceTheHiddenSize() {
    // lstmFull: a bidirectional LSTM with H 4 feeds a dense layer of input 8; claim 4 instead.
    assertRejected(TestModels.lstmFull(), m -> withTensor(withLayer(m, 2, l -> l.getDenseBuilder().setInputSize(4)),
            Tensors.fp32("out.weight", new float[8], 2, 4)),
        "layer 'out' (dense): input_size is 4, but the previous layer 'lstm0' (lstm) produces 8 values per step");
  }

  @Test
  void firstLayerMustBeInput() {
    assertRejected(m -> m.toBuilder().removeLayers(0).build(),
        "layer 'lstm0' (lstm): the first layer must be an input or embedding layer");
  }

  @Test
  void onlyTheFirstLayerIsAnInput() {
    assertRejected(m -> m.toBuilder().addLayers(Layer.newBuilder().setName("again")
            .setInput(InputLayer.newBuilder().setSize(2))).build(),
        "layer 'again' (input): only the first layer may be an input or embedding layer");
  }

  @Test
  void noLayers() {
    assertRejected(m -> m.toBuilder().clearLayers().build(), "layers: the model has no layers");
  }

  @Test
  void tooManyLayers() throws ModelFormatException {
    byte[] bytes = TestModels.lstm().toByteArray();
    ReaderLimits limits = new ReaderLimits(1000, 1000, 8, 100, 2, 100);
    assertMessage("layers: the model has 3 layers, over the limit of 2", () -> new ModelReader(limits).read(bytes));
  }

  @Test
  void duplicateLayerName() {
    assertRejected(m -> withLayer(m, 2, l -> l.setName("lstm0")),
        "layer 'lstm0' (dense): the name is used twice (layers #1 and #2); layer names must be unique");
  }

  @Test
  void layerWithoutKind() {
    assertRejected(m -> withLayer(m, 2, Layer.Builder::clearKind),
        "layer 'out' (no kind): no layer kind is set");
  }

  @Test
  void recurrentPartMissing() {
    assertRejected(m -> withLayer(m, 1, l -> l.getLstmBuilder().clearRecurrent()),
        "layer 'lstm0' (lstm): recurrent: missing");
  }

  @Test
  void zeroAndHugeSizes() {
    assertRejected(m -> withLayer(m, 1, l -> l.getLstmBuilder().getRecurrentBuilder().setHiddenSize(0)),
        "layer 'lstm0' (lstm): recurrent.hidden_size is 0; it must be at least 1");
    assertRejected(m -> withLayer(m, 1, l -> l.getLstmBuilder().getRecurrentBuilder().setHiddenSize(-1)),
        "layer 'lstm0' (lstm): recurrent.hidden_size is 4294967295, over the limit of 16777216");
  }

  @Test
  void unknownEnumValues() {
    assertRejected(m -> withLayer(m, 1, l -> l.getLstmBuilder().getRecurrentBuilder().setDirectionValue(7)),
        "layer 'lstm0' (lstm): recurrent.direction has unknown value 7");
    assertRejected(m -> withLayer(m, 2, l -> l.getDenseBuilder().setActivationValue(42)),
        "layer 'out' (dense): activation has unknown value 42");
    assertRejected(m -> m.toBuilder().setIo(m.getIo().toBuilder().setInputKindValue(3)).build(),
        "io: input_kind has unknown value 3");
    assertRejected(m -> withLayer(m, 1, l -> l.getLstmBuilder().getRecurrentBuilder().setActivations(
            Activations.newBuilder().addFunctions(Activation.newBuilder().setKindValue(99))
                .addFunctions(ModelBuilder.activation(dev.rill.format.proto.ActivationKind.TANH))
                .addFunctions(ModelBuilder.activation(dev.rill.format.proto.ActivationKind.TANH)))),
        "layer 'lstm0' (lstm): recurrent.activations[0].kind has unknown value 99");
  }

  @Test
  void unspecifiedDirection() {
    assertRejected(m -> withLayer(m, 1, l -> l.getLstmBuilder().getRecurrentBuilder().clearDirection()),
        "layer 'lstm0' (lstm): recurrent.direction is not set");
  }

  @Test
  void activationCountMustMatchTheDirections() {
    // lstmFull is bidirectional with 6 functions; keep only 3.
    assertRejected(TestModels.lstmFull(), m -> withLayer(m, 1, l -> {
      var a = l.getLstmBuilder().getRecurrentBuilder().getActivationsBuilder();
      a.removeFunctions(5).removeFunctions(4).removeFunctions(3);
    }), "layer 'lstm0' (lstm): recurrent.activations has 3 functions, expected 0 (the defaults) or 6 (3 per direction)");
  }

  @Test
  void activationParametersMustBeFinite() {
    assertRejected(TestModels.lstmFull(), m -> withLayer(m, 1, l -> l.getLstmBuilder().getRecurrentBuilder()
            .getActivationsBuilder().getFunctionsBuilder(2).setAlpha(Float.POSITIVE_INFINITY)),
        "layer 'lstm0' (lstm): recurrent.activations[2] (SCALED_TANH) has alpha Infinity and beta 2.0");
  }

  @Test
  void clipMustBePositiveAndFinite() {
    assertRejected(m -> withLayer(m, 1, l -> l.getLstmBuilder().getRecurrentBuilder().setClip(0f)),
        "layer 'lstm0' (lstm): recurrent.clip is 0.0; it must be finite and greater than 0");
    assertRejected(m -> withLayer(m, 1, l -> l.getLstmBuilder().getRecurrentBuilder().setClip(Float.NaN)),
        "layer 'lstm0' (lstm): recurrent.clip is NaN");
  }

  // ------------------------------------------------------------------------------------- vocabulary and io

  @Test
  void vocabularySizeMustEqualTheEmbeddingVocabSize() {
    assertRejected(TestModels.tokens(), m -> m.toBuilder().setVocabulary(Vocabulary.newBuilder().addTokens("a"))
        .build(), "vocabulary: has 1 tokens, but layer 'embedding' (embedding) has vocab_size 5");
  }

  @Test
  void vocabularyOnAVectorModel() {
    assertRejected(m -> m.toBuilder().setVocabulary(Vocabulary.newBuilder().addTokens("a")).build(),
        "vocabulary: has 1 tokens, but the model takes vectors (layer 'input' (input))");
  }

  @Test
  void ioMissing() {
    assertRejected(m -> m.toBuilder().clearIo().build(), "io: missing");
  }

  @Test
  void ioDisagreesWithTheLayers() {
    assertRejected(m -> m.toBuilder().setIo(m.getIo().toBuilder().setInputKind(InputKind.TOKEN)).build(),
        "io: input_kind is TOKEN, but the first layer 'input' (input) takes vectors (expected VECTOR)");
    assertRejected(m -> m.toBuilder().setIo(m.getIo().toBuilder().setInputKind(InputKind.INPUT_KIND_UNSPECIFIED))
        .build(), "io: input_kind is not set");
    assertRejected(m -> m.toBuilder().setIo(m.getIo().toBuilder().setInputSize(4)).build(),
        "io: input_size is 4, but the first layer 'input' (input) takes 3 values");
    assertRejected(m -> m.toBuilder().setIo(m.getIo().toBuilder().setOutputSize(3)).build(),
        "io: output_size is 3, but the last layer 'out' (dense) produces 2 values per step");
    assertRejected(TestModels.tokens(), m -> m.toBuilder().setIo(m.getIo().toBuilder().setInputSize(3)).build(),
        "io: input_size is 3, but the first layer 'embedding' (embedding) takes a vocabulary of 5 tokens");
  }

  // ------------------------------------------------------------------------------------- helpers

  private void assertRejected(UnaryOperator<RillModel> defect, String expected) {
    assertRejected(TestModels.lstm(), defect, expected);
  }

  /** The defect is reported by the validator on the message and by the reader on its bytes. */
  private void assertRejected(RillModel valid, UnaryOperator<RillModel> defect, String expected) {
    RillModel bad = defect.apply(valid);
    assertMessage(expected, () -> ModelValidator.validate(bad));
    assertMessage(expected, () -> reader.read(bad.toByteArray()));
  }

  private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable action) {
    ModelFormatException e = assertThrows(ModelFormatException.class, action);
    assertTrue(e.getMessage().contains(expected), () -> "expected '" + expected + "' in: " + e.getMessage());
  }

  private static Tensor.Builder tensor(String name) {
    return TestModels.lstm().getTensorsList().stream().filter(t -> t.getName().equals(name)).findFirst()
        .orElseThrow().toBuilder();
  }

  private static RillModel withTensor(RillModel m, Tensor replacement) {
    RillModel.Builder b = m.toBuilder();
    for (int i = 0; i < b.getTensorsCount(); i++) {
      if (b.getTensors(i).getName().equals(replacement.getName())) {
        return b.setTensors(i, replacement).build();
      }
    }
    throw new IllegalArgumentException("no tensor " + replacement.getName());
  }

  private static RillModel withLayer(RillModel m, int index, java.util.function.Consumer<Layer.Builder> change) {
    RillModel.Builder b = m.toBuilder();
    change.accept(b.getLayersBuilder(index));
    return b.build();
  }

  private static Tensor withScale(Tensor t, int row, float scale) {
    byte[] scales = t.getRowScales().toByteArray();
    ByteBuffer.wrap(scales).order(ByteOrder.LITTLE_ENDIAN).putFloat(row * 4, scale);
    return Tensors.withChecksum(t.toBuilder().setRowScales(ByteString.copyFrom(scales)).build());
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new IllegalArgumentException("not found");
  }
}
