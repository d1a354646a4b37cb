package dev.aigateway.core.wire;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.BooleanSupplier;

/**
 * A Gemini answer that is not a server-sent-events stream: one {@code GenerateContentResponse}
 * ({@code :generateContent}), or a JSON array of them ({@code :streamGenerateContent} without
 * {@code alt=sse}), whose elements arrive one by one. Bytes pass to the application unchanged,
 * straight into its buffer; each value is copied only while it is in flight (up to {@code
 * maxValueBytes}; a larger one is passed on and not read) and read as soon as it closed, so a long
 * array stream is never held whole and its usage is known as its last element passes. A value whose
 * bytes all arrive in one read is read where it lies in the application's buffer, during that read,
 * and not copied.
 */
final class GeminiJsonBody extends ObservedBody {

  private final JsonValueScanner scanner = new JsonValueScanner();
  private final int maxValueBytes;
  private final GeminiResponses responses = new GeminiResponses();

  /**
   * The value in flight, when it spans reads; made at its first bytes kept, sized to them (often
   * the whole value).
   */
  private byte[] value;

  private int valueLength;
  private boolean inValue;
  private boolean valueOverflow;

  GeminiJsonBody(
      InputStream upstream,
      BodyListener listener,
      BooleanSupplier callCanceled,
      int maxValueBytes) {
    super(upstream, listener, callCanceled);
    this.maxValueBytes = maxValueBytes;
  }

  /** Makes the usage of the last element read, if not made yet, before the end is reported. */
  @Override
  protected void ending() {
    readout.streamEnded();
  }

  @Override
  protected void passed(byte[] b, int off, int n, int requested) {
    scan(b, off, off + n);
  }

  private void scan(byte[] b, int from, int to) {
    int copyFrom = inValue ? from : -1;
    for (int i = scanner.find(b, from, to); i < to; i = scanner.find(b, i + 1, to)) {
      switch (scanner.found()) {
        case JsonValueScanner.VALUE_START -> {
          // A value whose bytes are all here is read where it lies, as it is found: its reader
          // finds its end, and the scanner goes on after it.
          int end = readAt(b, i, to - i > maxValueBytes ? i + maxValueBytes : to);
          if (end >= 0) {
            scanner.valueEnded();
            i = end - 1;
            copyFrom = -1;
            continue;
          }
          inValue = true;
          valueOverflow = false;
          valueLength = 0;
          copyFrom = i;
        }
        case JsonValueScanner.VALUE_END -> {
          inValue = false;
          if (valueLength == 0 && !valueOverflow) {
            // The value began in these bytes: read where it lies, not copied.
            if (i + 1 - copyFrom <= maxValueBytes) {
              readValue(b, copyFrom, i + 1);
            }
          } else {
            keep(b, copyFrom, i + 1);
            if (!valueOverflow) {
              readValue(value, 0, valueLength);
            }
          }
          copyFrom = -1;
        }
        case JsonValueScanner.ARRAY_END -> readout.markComplete();
        default -> {}
      }
    }
    if (inValue && copyFrom >= 0) {
      keep(b, copyFrom, to);
    }
  }

  /**
   * Reads the value that starts at {@code data[from]} if it ends before {@code to} and is read on
   * its bytes: returns the index after it, or -1, having learnt nothing.
   */
  private int readAt(byte[] data, int from, int to) {
    if (scanner.array()) {
      int end = responses.readElement(readout, data, from, to);
      if (end >= 0) {
        noteIfErrorElement(data, from, end);
        eventArrived();
      }
      return end;
    }
    int end = responses.readDocumentAt(readout, data, from, to);
    if (end >= 0) {
      readout.markComplete(); // the one document is whole
      readout.noteIfErrorDocument(data, from, end);
    }
    return end;
  }

  /** Reads the whole value {@code data[from, to)}: an element of the array, or the one document. */
  private void readValue(byte[] data, int from, int to) {
    if (scanner.array()) {
      responses.read(readout, data, from, to);
      noteIfErrorElement(data, from, to);
      eventArrived(); // an element of a stream: its first tells a stream handed on unheld began
    } else {
      // The one document: its text is learnt only when it reports no usage or the log keeps it.
      responses.readDocument(readout, data, from, to);
      readout.markComplete(); // the one document is whole
      readout.noteIfErrorDocument(data, from, to);
    }
  }

  private static final byte[] ERROR = "\"error\"".getBytes(StandardCharsets.US_ASCII);

  /**
   * Notes an element that is Google's error ({@code {"error":{...}}}: a stream that failed after
   * its 200 ends so, the error its last element before the closing bracket) as the body's error
   * ({@link ResponseReadout#errorAnswer}): the answer is then no answer to store, however the array
   * ends. Only an element whose first member is {@code error} is parsed.
   */
  private void noteIfErrorElement(byte[] data, int from, int to) {
    int i = from + 1;
    while (i < to && StrictJson.isSpace(data[i])) {
      i++;
    }
    if (data[from] != '{'
        || to - i < ERROR.length
        || !Arrays.equals(data, i, i + ERROR.length, ERROR, 0, ERROR.length)) {
      return;
    }
    JsonNode element = Json.parseOrNull(data, from, to - from);
    if (element != null) {
      readout.noteErrorEvent(element.get("error"));
    }
  }

  private void keep(byte[] b, int from, int to) {
    int n = to - from;
    if (valueOverflow || n <= 0) {
      return;
    }
    if (valueLength + n > maxValueBytes) {
      valueOverflow = true;
      valueLength = 0;
      return;
    }
    if (value == null) {
      value = new byte[Math.min(maxValueBytes, Math.max(n, 256))];
    } else if (valueLength + n > value.length) {
      value =
          Arrays.copyOf(
              value, Math.min(maxValueBytes, Math.max(valueLength + n, 2 * value.length)));
    }
    System.arraycopy(b, from, value, valueLength, n);
    valueLength += n;
  }
}
