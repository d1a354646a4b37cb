package dev.aigateway.core.wire;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * What a chat stream body passes on and learns when every chunk is parsed as it comes, as {@link
 * SseBody} did before it deferred reading chunks: the reference it is compared with. Events are
 * found as {@link SseBody} finds them; each chunk is read by {@link ResponseReadout#readChunk}.
 */
final class EagerSseReference {

  private static final byte[] DONE = {'[', 'D', 'O', 'N', 'E', ']'};

  final ResponseReadout facts = new ResponseReadout();

  /** The bytes for the application when usage is hidden. */
  final ByteArrayOutputStream hiddenOutput = new ByteArrayOutputStream();

  /**
   * Whether the bytes read after the last event read are the end marker's data line, {@code data:
   * [DONE]} and its line ending, without the blank line that ends its event.
   */
  boolean endMarkerLineInFlight;

  private final UsageMember member = new UsageMember();
  private final boolean hideUsage;

  private EagerSseReference(boolean hideUsage) {
    this.hideUsage = hideUsage;
  }

  /**
   * Reads the events complete in {@code stream[0, read)}, and when {@code atEnd} the last one even
   * without its blank line, as the body does at the end of the stream.
   */
  static EagerSseReference read(byte[] stream, int read, boolean atEnd, boolean hideUsage) {
    EagerSseReference reference = new EagerSseReference(hideUsage);
    int eventStart = 0;
    int lineStart = 0;
    for (int lineEnd = indexOf(stream, 0, read);
        lineEnd >= 0;
        lineEnd = indexOf(stream, lineStart, read)) {
      int next = lineEnd + 1; // a line ends with \n, \r or \r\n
      if (stream[lineEnd] == '\r' && next < read && stream[next] == '\n') {
        next++;
      }
      if (lineEnd == lineStart) {
        // an empty line: ends the event, or is a stray blank line of its own
        reference.event(Arrays.copyOfRange(stream, eventStart, next));
        eventStart = next;
      }
      lineStart = next;
    }
    if (atEnd && read > eventStart) {
      reference.event(Arrays.copyOfRange(stream, eventStart, read));
    }
    if (!atEnd) {
      String rest = new String(stream, eventStart, read - eventStart, StandardCharsets.ISO_8859_1);
      reference.endMarkerLineInFlight = rest.matches("data: ?\\[DONE\\](\r\n|\r|\n)");
    }
    return reference;
  }

  /** Whether the end marker was read: later events are passed on unread. */
  private boolean doneRead;

  private void event(byte[] event) {
    SseEventFramer.Data data = SseEventFramer.dataOf(event, 0, event.length);
    if (data == null || doneRead) {
      hiddenOutput.writeBytes(event); // after the end marker: passed on, not read
    } else if (data.is(DONE)) {
      facts.markComplete();
      doneRead = true;
      hiddenOutput.writeBytes(event);
    } else if (!noteIfFiltered(data)
        || !facts.readChunk(data.bytes(), data.from(), data.to(), member)) {
      hiddenOutput.writeBytes(event);
    } else if (hideUsage && member.usageOnly()) {
      // dropped
    } else if (hideUsage && member.cutsNull() && data.bytes() == event) {
      hiddenOutput.write(event, 0, member.cutFrom());
      hiddenOutput.write(event, member.cutTo(), event.length - member.cutTo());
    } else {
      hiddenOutput.writeBytes(event);
    }
  }

  /** Notes whether the chunk says a content filter cut the answer off; true, to go on. */
  private boolean noteIfFiltered(SseEventFramer.Data data) {
    facts.noteIfFiltered(data.bytes(), data.from(), data.to());
    return true;
  }

  private static int indexOf(byte[] bytes, int from, int to) {
    for (int i = from; i < to; i++) {
      if (bytes[i] == '\n' || bytes[i] == '\r') {
        return i;
      }
    }
    return -1;
  }
}
