package dev.rill.format;

import com.google.protobuf.CodedInputStream;
import dev.rill.format.proto.RillModel;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;

/**
 * Reads and fully validates {@code .rill} files. The size cap is enforced before the file is read, and the model
 * is validated with {@link ModelValidator} before it is returned, so a corrupt or hostile file fails with a
 * {@link ModelFormatException} rather than an out-of-memory error. Instances are immutable and thread-safe.
 */
public final class ModelReader {
  private final ReaderLimits limits;

  /** Creates a reader with {@link ReaderLimits#DEFAULT}. */
  public ModelReader() {
    this(ReaderLimits.DEFAULT);
  }

  /**
   * Creates a reader with the given limits.
   *
   * @param limits the size caps to enforce
   */
  public ModelReader(ReaderLimits limits) {
    this.limits = Objects.requireNonNull(limits, "limits");
  }

  /**
   * Returns the limits this reader enforces.
   *
   * @return the limits
   */
  public ReaderLimits limits() {
    return limits;
  }

  /**
   * Reads and validates a model file.
   *
   * @param file the {@code .rill} file
   * @return the validated model
   * @throws ModelFormatException if the file is not a valid Rill model, or not a regular file (a directory, FIFO
   *     or device: these are refused before they are opened); the message starts with the path
   * @throws IOException if the file cannot be read
   */
  public RillModel read(Path file) throws IOException {
    Objects.requireNonNull(file, "file");
    String notRegular = InputFiles.notRegularFile(file);
    if (notRegular != null) {
      throw new ModelFormatException(notRegular);
    }
    byte[] bytes;
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = channel.size();
      if (size == 0) {
        // Some files report no size but have content (/proc, some FUSE file systems): read to the end.
        bytes = Channels.newInputStream(channel).readNBytes((int) limits.maxFileBytes() + 1);
        checkSize(bytes.length, false, file + ": ");
      } else {
        checkSize(size, true, file + ": ");
        bytes = new byte[(int) size];
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
          if (channel.read(buffer) < 0) {
            throw new ModelFormatException(file + ": the file shrank while it was read");
          }
        }
        if (channel.read(ByteBuffer.allocate(1)) > 0) {
          throw new ModelFormatException(file + ": the file grew while it was read");
        }
      }
    }
    try {
      return parseAndValidate(bytes, true);
    } catch (ModelFormatException e) {
      throw new ModelFormatException(file + ": " + e.getMessage(), e.getCause());
    }
  }

  /**
   * Parses and validates a model from bytes. The array is not retained.
   *
   * @param bytes the contents of a {@code .rill} file
   * @return the validated model
   * @throws ModelFormatException if the bytes are not a valid Rill model
   */
  public RillModel read(byte[] bytes) throws ModelFormatException {
    Objects.requireNonNull(bytes, "bytes");
    checkSize(bytes.length, true, "");
    return parseAndValidate(bytes, false);
  }

  /**
   * Reads a model from a stream, up to the size cap, then parses and validates it. The stream is read to its
   * end (or one byte past the cap) and not closed.
   *
   * @param in the stream
   * @return the validated model
   * @throws ModelFormatException if the stream holds more than the cap or not a valid Rill model
   * @throws IOException if reading fails
   */
  public RillModel read(InputStream in) throws IOException {
    Objects.requireNonNull(in, "in");
    // readNBytes grows its buffer as data arrives, so a short stream never allocates the whole cap.
    byte[] bytes = in.readNBytes((int) limits.maxFileBytes() + 1);
    checkSize(bytes.length, false, "");
    return parseAndValidate(bytes, true);
  }

  private void checkSize(long size, boolean exact, String where) throws ModelFormatException {
    if (size == 0) {
      throw new ModelFormatException(where + "not a Rill model file: it is empty");
    }
    if (size > limits.maxFileBytes()) {
      throw new ModelFormatException(where + "the model is larger than the limit of " + limits.maxFileBytes()
          + " bytes (ReaderLimits.maxFileBytes)" + (exact ? ": it is " + size + " bytes" : ""));
    }
  }

  private RillModel parseAndValidate(byte[] bytes, boolean ownsBytes) throws ModelFormatException {
    RillModel model;
    try {
      CodedInputStream input = CodedInputStream.newInstance(bytes);
      // Tensor data may share our private array instead of being copied: halves peak memory for large models.
      input.enableAliasing(ownsBytes);
      model = RillModel.parseFrom(input);
      input.checkLastTagWas(0);
    } catch (IOException e) { // only InvalidProtocolBufferException: the input is an array
      throw new ModelFormatException("not a Rill model file: " + e.getMessage(), e);
    }
    ModelValidator.validate(model, limits);
    return model;
  }
}
