package dev.aigateway.okhttp;

import dev.aigateway.api.GatewayEvent;
import dev.aigateway.okhttp.HostileTrafficTest.AccountingStore;
import dev.aigateway.okhttp.HostileTrafficTest.EventsPerCall;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The invariants a hostile-traffic run checks of every call in it, recorded case by case: only an
 * {@link IOException} or a response reaches the application (and no backend secret in either), a
 * governed call ends in exactly one event, its reservation is settled once to the tokens its event
 * reports, and, after the run, every counter holds its capacity minus what was settled on it. Each
 * list holds one line per broken case, naming the case; {@link HostileInvariantTests} asserts them
 * empty.
 */
final class HostileCases {

  /** One call of a case, as an application makes it. */
  interface Call<T> {
    T make() throws IOException;
  }

  /**
   * What one case's call gave.
   *
   * @param got what the call returned, or null when it threw
   * @param ended how many events the call ended in
   * @param event its event when it ended in exactly one, else null
   */
  record Case<T>(T got, int ended, GatewayEvent event) {}

  private final AccountingStore store;
  private final Function<String, String> leak;
  private final List<String> escaped = new ArrayList<>();
  private final List<String> eventCounts = new ArrayList<>();
  private final List<String> settlements = new ArrayList<>();
  private final List<String> counters = new ArrayList<>();

  /**
   * @param store the store every gateway of the run reserves through
   * @param leak what a text the application sees gives away (a backend secret), or null
   */
  HostileCases(AccountingStore store, Function<String, String> leak) {
    this.store = store;
    this.leak = leak;
  }

  /** Makes one case's call, which must end in exactly one event. */
  <T> Case<T> exactlyOneEvent(String what, EventsPerCall listener, Call<T> call) {
    return run(what, listener, -1, call);
  }

  /**
   * Makes one case's call, which may end in no event (a notification) but in no more than {@code
   * most} (a JSON-RPC batch: one per request in it).
   */
  <T> Case<T> atMostEvents(String what, EventsPerCall listener, int most, Call<T> call) {
    return run(what, listener, most, call);
  }

  private <T> Case<T> run(String what, EventsPerCall listener, int most, Call<T> call) {
    int eventsBefore = listener.total();
    store.startCase();
    T got = null;
    try {
      got = call.make();
    } catch (IOException expected) {
      // what an application is prepared for; it must not give a secret away
      for (Throwable t = expected; t != null; t = t.getCause()) {
        leaked(what, "an exception", t.toString());
      }
    } catch (RuntimeException | Error e) {
      escaped.add(what + ": " + e);
    }
    int ended = listener.total() - eventsBefore;
    if (most < 0 && ended != 1) {
      eventCounts.add(what + ": " + ended + " events");
    } else if (most >= 0 && ended > most) {
      eventCounts.add(what + ": " + ended + " events, at most " + most + " expected");
    }
    GatewayEvent event = ended == 1 ? listener.last() : null;
    String settled = store.checkCase(event);
    if (settled != null) {
      settlements.add(what + ": " + settled);
    }
    if (event != null) {
      leaked(what, "an event", event.toString());
    }
    return new Case<>(got, ended, event);
  }

  /** Records a backend secret in a text the application saw ({@code where}), if there is one. */
  void leaked(String what, String where, String text) {
    String leaked = leak == null ? null : leak.apply(text);
    if (leaked != null) {
      escaped.add(what + ": " + leaked + " (in " + where + ")");
    }
  }

  /**
   * Ends the run: a call id that reached several events, and every counter that does not hold its
   * capacity minus what was settled on it.
   */
  void finish(List<EventsPerCall> listeners) {
    for (EventsPerCall perGateway : listeners) {
      eventCounts.addAll(perGateway.repeatedIds());
    }
    counters.addAll(store.checkCounters());
  }

  List<String> escaped() {
    return escaped;
  }

  List<String> eventCounts() {
    return eventCounts;
  }

  List<String> settlements() {
    return settlements;
  }

  List<String> counters() {
    return counters;
  }
}
