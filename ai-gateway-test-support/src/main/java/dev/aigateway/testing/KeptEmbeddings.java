package dev.aigateway.testing;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.CodeSource;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * Text embeddings one test run computed, kept in the build's {@code target/} for the next test JVM
 * that embeds the same texts with the same model (the labelled sets of the semantic evaluations are
 * embedded in the embeddings module's tests and again in the benchmarks module's). A kept file is
 * used only when it was written by the same model with the same code (a fingerprint of the classes
 * that embed, see {@link #fingerprint}) and when a sample of its vectors, embedded again now, comes
 * out bit for bit the same; otherwise it is ignored and every text is embedded. A test that reads
 * one therefore computes the same numbers as one that embeds everything itself.
 *
 * <p>Internal to the build's tests, not part of the library.
 */
public final class KeptEmbeddings {

  /** What embeds a text (an {@code EmbeddingModel}'s {@code embed}). */
  @FunctionalInterface
  public interface Embedder {
    /** The vector of {@code text}. */
    float[] embed(String text) throws IOException;
  }

  /** How many kept vectors, spread over the file, are embedded again before it is used. */
  public static final int CHECKED = 48;

  private static final String MAGIC = "ai-gateway kept embeddings 1";

  private KeptEmbeddings() {}

  /**
   * The file of {@code modelName}'s vectors: {@code target/kept-embeddings/} of the build's root
   * (the topmost folder above the working directory that holds a {@code pom.xml}).
   */
  public static Path file(String modelName) {
    Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    Path root = dir;
    for (Path p = dir; p != null && Files.exists(p.resolve("pom.xml")); p = p.getParent()) {
      root = p;
    }
    return root.resolve("target").resolve("kept-embeddings").resolve(modelName + ".bin");
  }

  /**
   * A fingerprint of the code that embeds: the bytes of every class in the package of each of
   * {@code ownCode} (the project's own classes, read from their folder or jar), and the file name
   * (with its version) of the jar of each of {@code libraries}.
   */
  public static String fingerprint(List<Class<?>> ownCode, List<Class<?>> libraries)
      throws IOException {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing", e);
    }
    for (Class<?> type : ownCode) {
      for (Map.Entry<String, byte[]> e : packageClasses(type).entrySet()) {
        digest.update(e.getKey().getBytes(StandardCharsets.UTF_8));
        digest.update(e.getValue());
      }
    }
    for (Class<?> type : libraries) {
      digest.update(location(type).getFileName().toString().getBytes(StandardCharsets.UTF_8));
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  private static Path location(Class<?> type) throws IOException {
    CodeSource source = type.getProtectionDomain().getCodeSource();
    if (source == null) {
      throw new IOException("no code source for " + type.getName());
    }
    try {
      return Path.of(source.getLocation().toURI());
    } catch (URISyntaxException e) {
      throw new IOException("no path for the code of " + type.getName(), e);
    }
  }

  /** The class files of {@code type}'s package, by name, in name order. */
  private static Map<String, byte[]> packageClasses(Class<?> type) throws IOException {
    String folder = type.getPackageName().replace('.', '/');
    Path location = location(type);
    Map<String, byte[]> classes = new TreeMap<>();
    if (Files.isDirectory(location)) {
      try (Stream<Path> files = Files.list(location.resolve(folder))) {
        for (Path f : files.toList()) {
          if (f.getFileName().toString().endsWith(".class")) {
            classes.put(f.getFileName().toString(), Files.readAllBytes(f));
          }
        }
      }
      return classes;
    }
    try (JarFile jar = new JarFile(location.toFile())) {
      for (JarEntry entry : jar.stream().toList()) {
        String name = entry.getName();
        if (name.startsWith(folder + "/")
            && name.endsWith(".class")
            && name.indexOf('/', folder.length() + 1) < 0) {
          try (InputStream in = jar.getInputStream(entry)) {
            classes.put(name.substring(folder.length() + 1), in.readAllBytes());
          }
        }
      }
    }
    return classes;
  }

  /**
   * The vectors kept in {@code file} by {@link #write} with the same {@code fingerprint}, after
   * {@link #CHECKED} of them, spread over the file, were embedded again by {@code model} and came
   * out the same; empty when there is no such file, it was written by other code, or a vector
   * differs (a line on standard output says which).
   */
  public static Map<String, float[]> read(Path file, String fingerprint, Embedder model)
      throws IOException {
    Map<String, float[]> kept = new LinkedHashMap<>();
    if (!Files.isRegularFile(file)) {
      return kept;
    }
    try (DataInputStream in =
        new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
      if (!in.readUTF().equals(MAGIC) || !in.readUTF().equals(fingerprint)) {
        System.out.println("kept embeddings " + file + ": written by other code, not used");
        return new LinkedHashMap<>();
      }
      int count = in.readInt();
      for (int i = 0; i < count; i++) {
        char[] text = new char[in.readInt()];
        for (int j = 0; j < text.length; j++) {
          text[j] = in.readChar();
        }
        float[] vector = new float[in.readInt()];
        for (int j = 0; j < vector.length; j++) {
          vector[j] = in.readFloat();
        }
        kept.put(new String(text), vector);
      }
    } catch (IOException e) {
      System.out.println("kept embeddings " + file + ": unreadable (" + e + "), not used");
      return new LinkedHashMap<>();
    }
    List<String> texts = new ArrayList<>(kept.keySet());
    int step = Math.max(1, texts.size() / CHECKED);
    for (int i = 0; i < texts.size(); i += step) {
      String text = texts.get(i);
      if (!Arrays.equals(model.embed(text), kept.get(text))) {
        System.out.println(
            "kept embeddings " + file + ": a kept vector is not the model's now, not used");
        return new LinkedHashMap<>();
      }
    }
    System.out.println(
        "kept embeddings " + file + ": " + kept.size() + " vectors read (" + CHECKED + " checked)");
    return kept;
  }

  /**
   * Writes {@code vectors} to {@code file} with {@code fingerprint} (through a file beside it, then
   * moved over it, so a reader never sees half a file).
   */
  public static void write(Path file, String fingerprint, Map<String, float[]> vectors)
      throws IOException {
    Files.createDirectories(file.getParent());
    Path partial = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".part");
    try {
      try (DataOutputStream out =
          new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(partial), 1 << 16))) {
        out.writeUTF(MAGIC);
        out.writeUTF(fingerprint);
        out.writeInt(vectors.size());
        for (Map.Entry<String, float[]> e : vectors.entrySet()) {
          // as its chars, so that any string (even one UTF-8 cannot carry) reads back the same
          out.writeInt(e.getKey().length());
          out.writeChars(e.getKey());
          out.writeInt(e.getValue().length);
          for (float f : e.getValue()) {
            out.writeFloat(f);
          }
        }
      }
      Files.move(
          partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      System.out.println("kept embeddings " + file + ": " + vectors.size() + " vectors written");
    } finally {
      Files.deleteIfExists(partial);
    }
  }
}
