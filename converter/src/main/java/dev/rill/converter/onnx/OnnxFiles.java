package dev.rill.converter.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.rill.converter.onnx.proto.ModelProto;
import dev.rill.converter.onnx.proto.TensorProto;
import dev.rill.format.InputFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reads ONNX protobuf files (models and the {@code .pb} tensors of the backend tests) with bounded resources. */
final class OnnxFiles {

  /** Protobuf messages cannot exceed 2 GiB; anything larger is not an ONNX file we can read. */
  static final long MAX_FILE_BYTES = Integer.MAX_VALUE - 1024;

  /** Nested subgraphs (If inside If ...) deeper than this are refused rather than overflowing the stack. */
  static final int RECURSION_LIMIT = 200;

  private OnnxFiles() {}

  static ModelProto readModel(Path file) throws OnnxImportException {
    ModelProto model;
    try (InputStream in = open(file)) {
      CodedInputStream coded = coded(in);
      model = ModelProto.parseFrom(coded);
      coded.checkLastTagWas(0);
    } catch (InvalidProtocolBufferException e) {
      throw new OnnxImportException(file + " is not a valid ONNX model (truncated or corrupt protobuf: "
          + e.getMessage() + ")", e);
    } catch (OnnxImportException e) {
      throw e;
    } catch (IOException e) {
      throw new OnnxImportException("cannot read " + file + ": " + e, e);
    }
    if (!model.hasGraph()) {
      throw new OnnxImportException(file + " is not a valid ONNX model: it has no graph (field 7)");
    }
    if (model.getOpsetImportCount() == 0 && model.getIrVersion() == 0) {
      throw new OnnxImportException(file + " is not a valid ONNX model: no ir_version and no opset_import");
    }
    return model;
  }

  static TensorProto readTensor(Path file) throws OnnxImportException {
    try (InputStream in = open(file)) {
      CodedInputStream coded = coded(in);
      TensorProto t = TensorProto.parseFrom(coded);
      coded.checkLastTagWas(0);
      return t;
    } catch (InvalidProtocolBufferException e) {
      throw new OnnxImportException(file + " is not a valid ONNX TensorProto (truncated or corrupt protobuf: "
          + e.getMessage() + ")", e);
    } catch (OnnxImportException e) {
      throw e;
    } catch (IOException e) {
      throw new OnnxImportException("cannot read " + file + ": " + e, e);
    }
  }

  private static InputStream open(Path file) throws IOException {
    String notRegular = InputFiles.notRegularFile(file);
    if (notRegular != null) {
      throw new OnnxImportException(notRegular);
    }
    try {
      long size = Files.size(file);
      if (size > MAX_FILE_BYTES) {
        throw new OnnxImportException(file + " has " + size + " bytes; ONNX protobuf files are at most 2 GiB "
            + "(larger models keep their weights in external data)");
      }
      // Some files report no size but have content (/proc): look for a first byte instead.
      PushbackInputStream in = new PushbackInputStream(Files.newInputStream(file));
      int first = in.read();
      if (first < 0) {
        in.close();
        throw new OnnxImportException(file + " is empty");
      }
      in.unread(first);
      return in;
    } catch (NoSuchFileException e) {
      throw new OnnxImportException(file + " not found", e);
    }
  }

  private static CodedInputStream coded(InputStream in) {
    CodedInputStream coded = CodedInputStream.newInstance(in);
    coded.setRecursionLimit(RECURSION_LIMIT);
    coded.setSizeLimit(Integer.MAX_VALUE);
    return coded;
  }
}
