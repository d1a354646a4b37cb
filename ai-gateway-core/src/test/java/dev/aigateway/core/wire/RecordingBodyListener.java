package dev.aigateway.core.wire;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.CallOutcome;
import java.util.ArrayList;
import java.util.List;

/** Records what an observed body reports. */
final class RecordingBodyListener implements BodyListener {
  int firstBytes;
  final List<End> ends = new ArrayList<>();

  /** One {@code bodyEnded} call. */
  record End(CallOutcome outcome, ResponseReadout facts, Throwable failure) {}

  @Override
  public void firstBytes() {
    firstBytes++;
  }

  @Override
  public void bodyEnded(CallOutcome outcome, ResponseReadout facts, Throwable failure) {
    ends.add(new End(outcome, facts, failure));
  }

  /** The one {@code bodyEnded} call; fails unless there was exactly one. */
  End onlyEnd() {
    assertThat(ends).as("bodyEnded calls").hasSize(1);
    return ends.get(0);
  }
}
