package dev.aigateway.core.wire;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A JSON answer whose first read holds the whole document is read at once, without a copy: what the
 * call learns (usage, model, text, how the body ended) is what reading the copy at the end teaches,
 * at every split of the bytes, whatever follows the document, however the body ends.
 */
@Tag("compute-bound")
class JsonBodyFirstReadTest {

  private static final List<String> DOCUMENTS =
      List.of(
          "{\"id\":\"chatcmpl-1\",\"model\":\"gpt-4o-2024-08-06\",\"choices\":[{\"index\":0,"
              + "\"message\":{\"role\":\"assistant\",\"content\":\"Grüße 🌍\"}}],"
              + "\"usage\":{\"prompt_tokens\":21,\"completion_tokens\":4,\"total_tokens\":25,"
              + "\"prompt_tokens_details\":{\"cached_tokens\":8},"
              + "\"completion_tokens_details\":{\"reasoning_tokens\":2}}}",
          "{\"model\":\"m1\",\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,"
              + "\"total_tokens\":5},\"model\":\"m2\"}",
          "{\"usage\":{\"prompt_tokens\":1},\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":1}}",
          "{\"model\":\"x\",\"usage\":{\"prompt_tokens\":1.0,\"completion_tokens\":2}}",
          "{\"usage\":{\"prompt_\\u0074okens\":4,\"total_tokens\":4}}",
          "{\"model\":\"x\",\"choices\":[{\"message\":{\"content\":\"hello there\"}}]}",
          "{\"usage\":null,\"choices\":[{\"text\":\"abc\"}]}",
          "{\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":1,\"total_tokens\":6,"
              + "\"prompt_tokens_details\":{\"audio_tokens\":3}}}",
          "{\"model\":\"m\\\"q\",\"usage\":{\"input_tokens\":9,\"output_tokens\":1}}",
          "  {\"usage\":{\"prompt_tokens\":2,\"total_tokens\":2}}  ",
          "{\"usage\":{\"prompt_tokens\":2,\"total_tokens\":2}",
          "[1,2]",
          "\"text\"");

  private static final List<String> TAILS =
      List.of("", "\n", " junk", "}", "{\"usage\":{\"prompt_tokens\":99,\"total_tokens\":99}}");

  private static final boolean[] BOTH = {false, true};
  private static final boolean[] NO = {false};

  /** How the application reads the body. */
  private enum Reading {
    TO_THE_END,
    CLOSED_AFTER_THE_FIRST_READ,
    FAILED_AFTER_THE_FIRST_READ
  }

  @Test
  void whatTheFirstReadTellsIsWhatTheCopyTells() throws IOException {
    int cases = 0;
    for (String document : DOCUMENTS) {
      for (String tail : TAILS) {
        byte[] bytes = (document + tail).getBytes(UTF_8);
        int docLength = document.getBytes(UTF_8).length;
        // The bound: far above, the document alone, one byte short of what came, far below.
        int[] bounds = {1 << 20, docLength, Math.max(1, bytes.length - 1), 10};
        for (int bound : bounds) {
          for (int split = 1; split <= bytes.length; split++) {
            for (Reading reading : Reading.values()) {
              for (boolean keepText : bound == 1 << 20 ? BOTH : NO) {
                String label =
                    document
                        + " + '"
                        + tail
                        + "' bound "
                        + bound
                        + " split "
                        + split
                        + " "
                        + reading
                        + (keepText ? " keeping text" : "");
                assertSame(bytes, bound, split, reading, keepText, label);
                cases++;
              }
            }
          }
        }
      }
    }
    assertThat(cases).isGreaterThan(5_000);
  }

  @Test
  void aSmallAnswerReadWholeInItsFirstReadIsLearntWithoutACopy() throws IOException {
    byte[] bytes = DOCUMENTS.get(0).getBytes(UTF_8);
    RecordingBodyListener listener = new RecordingBodyListener();
    JsonBody body =
        new JsonBody(new Split(bytes, bytes.length, false), listener, () -> false, 1 << 20);

    byte[] buffer = new byte[8192];
    assertThat(body.read(buffer, 0, buffer.length)).isEqualTo(bytes.length);
    assertThat(body.read(buffer, 0, buffer.length)).isEqualTo(-1);

    RecordingBodyListener.End end = listener.onlyEnd();
    assertThat(end.facts().usage()).isEqualTo(new dev.aigateway.api.Usage(21, 4, 25, 8, 2));
    assertThat(end.facts().model()).isEqualTo("gpt-4o-2024-08-06");
    assertThat(end.facts().complete()).isTrue();
  }

  private static void assertSame(
      byte[] bytes, int bound, int split, Reading reading, boolean keepText, String label)
      throws IOException {
    RecordingBodyListener fast = new RecordingBodyListener();
    RecordingBodyListener copied = new RecordingBodyListener();
    boolean fails = reading == Reading.FAILED_AFTER_THE_FIRST_READ;
    // The public constructor reads a whole first read at once; with the reader named, the copy.
    JsonBody first = new JsonBody(new Split(bytes, split, fails), fast, () -> false, bound);
    JsonBody copy =
        new JsonBody(
            new Split(bytes, split, fails),
            copied,
            () -> false,
            bound,
            ResponseReadout::readDocument);
    if (keepText) {
      first.keepText();
      copy.keepText();
    }
    byte[] seenFirst = read(first, reading);
    byte[] seenCopy = read(copy, reading);

    assertThat(seenFirst).as(label).isEqualTo(seenCopy);
    assertThat(fast.ends).as(label).hasSameSizeAs(copied.ends).hasSize(1);
    RecordingBodyListener.End a = fast.ends.get(0);
    RecordingBodyListener.End b = copied.ends.get(0);
    assertThat(a.outcome()).as(label).isEqualTo(b.outcome());
    assertThat(a.failure() == null).as(label).isEqualTo(b.failure() == null);
    assertThat(a.facts().usage()).as(label).isEqualTo(b.facts().usage());
    assertThat(a.facts().model()).as(label).isEqualTo(b.facts().model());
    assertThat(a.facts().complete()).as(label).isEqualTo(b.facts().complete());
    assertThat(a.facts().text().toString()).as(label).isEqualTo(b.facts().text().toString());
  }

  private static byte[] read(JsonBody body, Reading reading) throws IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    int n = body.read(buffer, 0, buffer.length);
    out.write(buffer, 0, Math.max(n, 0));
    switch (reading) {
      case TO_THE_END -> {
        while ((n = body.read(buffer, 0, buffer.length)) >= 0) {
          out.write(buffer, 0, n);
        }
        body.close();
      }
      case CLOSED_AFTER_THE_FIRST_READ -> body.close();
      case FAILED_AFTER_THE_FIRST_READ -> {
        Throwable failed = catchThrowable(() -> body.read(buffer, 0, buffer.length));
        if (failed == null) {
          body.close(); // the first read held everything: it ended before the failure
        }
      }
    }
    return out.toByteArray();
  }

  /**
   * Serves its first {@code split} bytes in one read, then the rest in one read (or fails then),
   * then its end.
   */
  private static final class Split extends InputStream {
    private final byte[] data;
    private final int split;
    private final boolean failsAfterSplit;
    private int position;

    Split(byte[] data, int split, boolean failsAfterSplit) {
      this.data = data;
      this.split = split;
      this.failsAfterSplit = failsAfterSplit;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (position == data.length) {
        return -1;
      }
      if (position > 0 && failsAfterSplit) {
        throw new IOException("connection reset");
      }
      int n = Math.min(len, (position == 0 ? split : data.length) - position);
      System.arraycopy(data, position, b, off, n);
      position += n;
      return n;
    }

    @Override
    public int read() {
      throw new UnsupportedOperationException("an observed body reads its upstream in pieces");
    }
  }
}
