package dev.aigateway.redis;

import io.lettuce.core.RedisException;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit for {@link RedisTokenLimitStore}: the reservations and settlements of one JVM that
 * arrive while earlier scripts are in flight go to Redis together, as one run of the batch script,
 * in the order they arrived.
 *
 * <p>No thread of its own on the hot path and no batching delay. A reservation that finds fewer
 * than {@link #MAX_IN_FLIGHT} batches in flight is sent at once by its caller's thread (alone, when
 * the store is idle: a single caller pays one round trip and nothing more). Otherwise it waits in
 * the queue, and the reply of an in-flight batch, on Lettuce's event loop, sends everything queued
 * as the next batch. A settlement never waits for Redis: it is queued and rides with the next batch
 * that goes anyway, normally the next reservation's. It is sent without one only when nothing is in
 * flight and it has waited {@link #LINGER_NANOS} (a daemon timer thread sends it then), or at once
 * when the application flushes or peeks. So a caller that reserves again right after settling (the
 * common case) pays one script run per call, not two, and its reservation no longer queues in Redis
 * behind its previous call's settlement. Settlements that Redis could not take (down, timed out,
 * busy, loading, or taking no writes for now: a replica, a failing snapshot) go back to the front
 * of the queue and are replayed by the same daemon thread every {@link #RETRY_MILLIS} ms, at most
 * {@code settlementBound} of them; beyond it the oldest is dropped and counted.
 *
 * <p>When nothing is in flight, the caller's thread sends its batch on the store's {@link
 * DirectLink} instead (a blocking connection of its own) and reads the reply itself: no hand-off to
 * Lettuce's event loop and no wake-up back, which at one caller is most of the round trip. While
 * such a batch is out, nothing else is sent (operations queue, as behind any batch), so batches
 * still reach Redis one after the other in the order they were taken; its reply, on the caller's
 * thread, hands what queued meanwhile to Lettuce as the next batch.
 *
 * <p>Why this and not a dispatcher thread: a dedicated thread would put a hand-off (a wake-up and a
 * context switch) between every caller and Redis, which is what the single-caller latency cannot
 * afford; Lettuce's own pipelining would send every call's script separately, paying Redis's
 * per-script cost (about 30 µs) per call. Here the batch is "whatever arrived while the previous
 * script was in flight", so it grows with the load and costs nothing without it.
 */
final class LimitBatcher {

  /** Batches on the wire at once: one running in Redis while the next is on its way. */
  static final int MAX_IN_FLIGHT = 2;

  /** Operations in one batch at most, so one script run never blocks Redis for long. */
  static final int MAX_OPERATIONS = 64;

  /** How often settlements that Redis did not take are sent again. */
  static final long RETRY_MILLIS = 100;

  /**
   * How long a settlement waits for a reservation to ride with before it is sent on its own: far
   * below anything a limit can observe (other instances see it this much later at most), far above
   * the gap between a call's settlement and the next reservation of a busy caller.
   */
  static final long LINGER_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

  /**
   * How often a batch also drops ended entries, by default: reservation ids whose settlement window
   * is over, and the ended leases of the in-flight sets it touches.
   */
  static final long UPKEEP_NANOS = TimeUnit.SECONDS.toNanos(10);

  private static final Logger LOG = LoggerFactory.getLogger(RedisTokenLimitStore.class);

  /** One reservation or settlement in a batch. */
  abstract static class Operation {
    /**
     * Times Redis did not take this settlement, at least 1 when it was made during an outage (it is
     * counted as replayed when this is above 0).
     */
    int failures;

    /** Whether this settlement was refused for want of memory and sent with allow-oom since. */
    boolean sentAllowingOom;

    /** Whether this is a reservation (its caller waits for it). */
    abstract boolean reserves();

    /** Whether a reservation's caller stopped waiting before it was sent: it is not sent. */
    abstract boolean abandoned();

    /**
     * Appends its keys and arguments to the batch's, naming its limits by their numbers in {@code
     * limits}; runs on the thread that sends the batch.
     */
    abstract void write(List<String> keys, List<String> args, Limits limits);

    /** How many integers of the batch's reply are its own. */
    abstract int replyLength();

    /**
     * Takes its part of the batch's reply.
     *
     * @return true when it must be sent again (no candidate quota window held the server's time)
     */
    abstract boolean answered(List<Object> reply, int from);

    /** The batch failed: a reservation's caller gets {@code failure}. */
    abstract void failed(RedisException failure);
  }

  /**
   * The limits a batch describes once, in the order first used, for its operations to refer to by
   * number: a rate's terms or a quota's candidate windows cross the wire, and are parsed by the
   * script, once per batch rather than once per call and counter.
   */
  static final class Limits {
    private static final String[] NUMBERS = new String[MAX_OPERATIONS * 4 + 1];

    static {
      for (int i = 0; i < NUMBERS.length; i++) {
        NUMBERS[i] = Integer.toString(i);
      }
    }

    private final List<String[]> described = new ArrayList<>(4);
    private final List<String> fields = new ArrayList<>(20);

    /**
     * The number (from 1, as the script's argument) of the limit {@code description} gives: its
     * kind and four terms, added to the batch when new to it. Descriptions are told apart by
     * identity: the store keeps one array per set of terms and hands the same one every time.
     */
    String number(String[] description) {
      int at = -1;
      for (int i = 0; i < described.size(); i++) {
        if (described.get(i) == description) {
          at = i;
          break;
        }
      }
      if (at < 0) {
        if (description.length != 5) {
          throw new IllegalArgumentException(
              "a limit is described by 5 fields, not " + description.length);
        }
        at = described.size();
        described.add(description);
        fields.addAll(Arrays.asList(description));
      }
      int number = at + 1;
      return number < NUMBERS.length ? NUMBERS[number] : Integer.toString(number);
    }

    int size() {
      return described.size();
    }
  }

  private final RedisConnection connection;
  private final LimitScript reserving;
  private final LimitScript settling;
  private final String pendingKey;
  private final String leaseMillis;
  private final String settlementWindowMillis;
  private final int settlementBound;
  private final @Nullable DirectLink direct;

  private volatile boolean sharedConnected;
  private final Object lock = new Object();
  // Held from taking a batch until it is handed to Lettuce, so batches reach the connection in the
  // order they were taken (a later reservation's batch never overtakes an earlier settlement's,
  // whichever threads send them); taken before lock, never while holding it.
  private final Object sendOrder = new Object();
  private final ArrayDeque<Operation> queue = new ArrayDeque<>();
  private int inFlight;
  // a batch is out on the direct link (it counts in inFlight too): nothing else is sent meanwhile
  private boolean directInFlight;
  // after the direct link could not reach Redis, batches go through Lettuce until then
  private long directPausedUntilNanos = System.nanoTime();
  private int reservesQueued;
  private int settlementsQueued;
  private int settlementsInFlight;
  private long replayed;
  private long dropped;
  private boolean outage;
  private long retryAtNanos;
  private long settleDueNanos;
  private boolean lingerTimerSet;
  private @Nullable ScheduledExecutorService timer;
  private boolean retrying;
  private boolean closed;
  private final long upkeepNanos;
  private volatile long upkeepDueNanos = System.nanoTime();

  LimitBatcher(
      RedisConnection connection,
      LimitScript reserving,
      LimitScript settling,
      String pendingKey,
      String leaseMillis,
      String settlementWindowMillis,
      int settlementBound,
      long upkeepNanos,
      @Nullable DirectLink direct) {
    this.connection = connection;
    this.reserving = reserving;
    this.settling = settling;
    this.pendingKey = pendingKey;
    this.leaseMillis = leaseMillis;
    this.settlementWindowMillis = settlementWindowMillis;
    this.settlementBound = settlementBound;
    this.upkeepNanos = upkeepNanos;
    this.direct = direct;
  }

  /**
   * Queues a reservation and sends it now when fewer than two batches are in flight: on the direct
   * link, answered before this returns (by {@code deadlineNanos}, a {@link System#nanoTime}), when
   * nothing is in flight; else through Lettuce. Returns by the deadline, making the connections
   * included.
   */
  void reserve(Operation reservation, long deadlineNanos) {
    boolean connecting = false;
    if (!sharedConnected) {
      // The first reservations make the shared connection, so the first lone settlement (sent by
      // the timer) or the first concurrent batch finds it made; never waiting for it past their
      // deadline, nor while holding the send order (a batch is sent only on a connection made,
      // see send). One that goes on the direct link, which connects within the same deadline,
      // does not start it first (starting the client's network layer may take longer than a
      // command may): it makes it, for what is left of its time, after its answer.
      boolean directLikely;
      synchronized (lock) {
        directLikely =
            direct != null
                && inFlight == 0
                && !closed
                && System.nanoTime() - directPausedUntilNanos >= 0;
      }
      connecting = directLikely || !sharedMade(deadlineNanos - System.nanoTime());
    }
    List<Operation> batch;
    synchronized (sendOrder) {
      boolean directNow;
      synchronized (lock) {
        queue.addLast(reservation);
        reservesQueued++;
        directNow =
            direct != null
                && inFlight == 0
                && !closed
                && System.nanoTime() - directPausedUntilNanos >= 0;
        batch = takeBatch(false);
        if (directNow && batch != null) {
          directInFlight = true;
        } else {
          directNow = false;
        }
      }
      if (!directNow) {
        send(batch);
        return;
      }
    }
    sendDirect(batch, deadlineNanos);
    if (connecting) {
      sharedMade(deadlineNanos - System.nanoTime());
    }
  }

  /**
   * Whether the shared connection is made, waiting for it at most {@code waitNanos} (zero: starts
   * making it in the background if it is not made).
   */
  private boolean sharedMade(long waitNanos) {
    try {
      connection.strings(Math.max(0, waitNanos));
      sharedConnected = true;
      return true;
    } catch (RuntimeException e) {
      // not made yet, or not reachable now: a batch sent meanwhile fails, or Lettuce connects
      // when it is next used
      return false;
    }
  }

  /** Queues a settlement; it is sent now only when nothing is in flight. Never waits for Redis. */
  void settle(Operation settlement) {
    synchronized (sendOrder) {
      settleInOrder(settlement);
    }
  }

  private void settleInOrder(Operation settlement) {
    List<Operation> batch;
    synchronized (lock) {
      if (settlementsQueued + settlementsInFlight >= settlementBound && !dropOldestSettlement()) {
        dropped++; // every one of them is in flight: the newest gives way
        LOG.warn(
            "Redis token limit store: {} settlements wait for Redis at {}; one more was dropped",
            settlementBound,
            connection.address());
        return;
      }
      if (outage) {
        // made while Redis is unreachable: it is replayed when Redis answers again, and counted
        // so, whether or not a retry was sent in between
        settlement.failures = Math.max(settlement.failures, 1);
      }
      queue.addLast(settlement);
      if (settlementsQueued++ == 0) {
        settleDueNanos = System.nanoTime() + LINGER_NANOS;
      }
      batch = takeBatch(closed); // once closed, no timer sends it later
      if (batch == null) {
        armLinger();
      }
    }
    send(batch);
  }

  /**
   * Sends what is queued now, settlements included: called before a read that must see this JVM's
   * settlements, on the same connection. While {@link #MAX_IN_FLIGHT} batches are in flight and
   * settlements wait, it waits for one of them to be answered first (at most {@code timeoutNanos}),
   * so that the read does not overtake the settlements.
   */
  void sendQueued(long timeoutNanos) {
    long deadline = System.nanoTime() + timeoutNanos;
    while (true) {
      synchronized (sendOrder) {
        List<Operation> batch = null;
        boolean taken = false;
        synchronized (lock) {
          if (!mustWaitToSendQueued() || deadline - System.nanoTime() <= 0) {
            batch = takeBatch(true);
            taken = true;
          }
        }
        if (taken) {
          send(batch);
          return;
        }
      }
      // a batch on the direct link may hold settlements made before, or queued settlements
      // cannot be sent before an in-flight batch is answered: wait for its reply
      synchronized (lock) {
        try {
          while (mustWaitToSendQueued() && deadline - System.nanoTime() > 0) {
            lock.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  /**
   * Whether {@link #sendQueued} cannot send the queued settlements now: a batch is out on the
   * direct link, or {@link #MAX_IN_FLIGHT} batches are in flight while settlements wait. Under
   * {@link #lock}.
   */
  private boolean mustWaitToSendQueued() {
    return directInFlight || (inFlight >= MAX_IN_FLIGHT && settlementsQueued > 0);
  }

  /** The linger timer: sends settlements that waited long enough, else waits again. */
  private void lingered() {
    synchronized (sendOrder) {
      List<Operation> batch;
      synchronized (lock) {
        lingerTimerSet = false;
        batch = takeBatch(false);
        if (batch == null) {
          armLinger();
        }
      }
      send(batch);
    }
  }

  /**
   * Sets the linger timer (one at a time) for settlements that wait while nothing is in flight; an
   * answer of an in-flight batch sends them, or sets the timer, itself. Under {@link #lock}.
   */
  private void armLinger() {
    if (settlementsQueued > 0 && inFlight == 0 && !outage && !lingerTimerSet && !closed) {
      lingerTimerSet = true;
      schedule(this::lingered, Math.max(0, settleDueNanos - System.nanoTime()));
    }
  }

  /** Queued and in-flight settlements, replayed ones and dropped ones. */
  RedisTokenLimitStore.Settlements settlements() {
    synchronized (lock) {
      return new RedisTokenLimitStore.Settlements(
          settlementsQueued + settlementsInFlight, replayed, dropped);
    }
  }

  /**
   * Sends what is queued (also before the next retry is due) and waits until no settlement is
   * queued or in flight, or until {@code timeoutNanos} passed; not at all once the connection is
   * closed, since nothing can reach Redis then.
   *
   * @return whether every settlement reached Redis (or was dropped) in time
   */
  boolean flush(long timeoutNanos) {
    long deadline = System.nanoTime() + timeoutNanos;
    while (true) {
      // asked before the send order and the lock: closing the connection completes its commands,
      // whose answers take them
      boolean open = connection.isOpen();
      synchronized (sendOrder) {
        List<Operation> batch;
        synchronized (lock) {
          if (settlementsQueued + settlementsInFlight == 0) {
            return true;
          }
          if (!open || deadline - System.nanoTime() <= 0) {
            return false;
          }
          batch = takeBatch(true);
        }
        if (batch != null) {
          send(batch);
          continue;
        }
      }
      synchronized (lock) {
        if (settlementsQueued + settlementsInFlight == 0) {
          return true;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        try {
          // Woken by every answer; a pause between attempts while Redis refuses at once.
          lock.wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 20)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
    }
  }

  /** Stops the retries; what is still queued stays queued (and is counted as pending). */
  void close() {
    ScheduledExecutorService stop;
    synchronized (lock) {
      closed = true;
      stop = timer;
      timer = null;
    }
    if (stop != null) {
      stop.shutdownNow();
    }
    if (direct != null) {
      direct.close(); // at once, or when the batch out on it is answered
      connection.release(direct);
    }
  }

  /**
   * The next batch to send, or null. Reservations go when fewer than {@link #MAX_IN_FLIGHT} batches
   * are in flight. Settlements alone go {@code now} (a flush or a read), or else only when nothing
   * is in flight (else they ride with the next batch, or go when the in-flight one answers) and the
   * oldest has lingered {@link #LINGER_NANOS} or, after Redis failed to take them, the retry is
   * due.
   */
  private @Nullable List<Operation> takeBatch(boolean now) {
    if (inFlight >= MAX_IN_FLIGHT || directInFlight || queue.isEmpty()) {
      return null;
    }
    if (reservesQueued == 0 && !now) {
      if (inFlight > 0) {
        return null;
      }
      long due = outage ? retryAtNanos : settleDueNanos;
      if (System.nanoTime() - due < 0) {
        return null;
      }
    }
    List<Operation> batch = new ArrayList<>(Math.min(queue.size(), MAX_OPERATIONS));
    while (batch.size() < MAX_OPERATIONS && !queue.isEmpty()) {
      Operation next = queue.pollFirst();
      if (next.reserves()) {
        reservesQueued--;
        if (next.abandoned()) {
          continue; // its caller timed out: it charges nothing
        }
      } else {
        settlementsQueued--;
        settlementsInFlight++;
      }
      batch.add(next);
    }
    if (batch.isEmpty()) {
      return null;
    }
    inFlight++;
    return batch;
  }

  private boolean dropOldestSettlement() {
    for (Iterator<Operation> it = queue.iterator(); it.hasNext(); ) {
      if (!it.next().reserves()) {
        it.remove();
        settlementsQueued--;
        dropped++;
        if (dropped == 1 || !outage) {
          LOG.warn(
              "Redis token limit store: more than {} settlements wait for Redis at {}; the oldest"
                  + " are dropped ({} so far)",
              settlementBound,
              connection.address(),
              dropped);
        }
        return true;
      }
    }
    return false;
  }

  /** Sends a batch as one script run; its reply is handled on Lettuce's event loop. */
  private void send(@Nullable List<Operation> batch) {
    send(batch, reserving);
  }

  /**
   * Sends a batch with {@code script}. Every batch runs the function without the allow-oom flag, so
   * that Redis refuses a batch with a reservation whole when it is out of memory; settlements
   * refused that way are sent again with the allow-oom function. One function for both keeps the
   * order of pipelined batches when Redis does not know the library yet: both answer "Function not
   * found" and are sent again after loading it, in order.
   */
  private void send(@Nullable List<Operation> batch, LimitScript script) {
    if (batch == null) {
      return;
    }
    String[][] call = arguments(batch, false);
    if (call == null) {
      return;
    }
    RedisAsyncCommands<String, String> commands;
    try {
      // Made already, or it fails at once: never waits for a connection while holding the send
      // order (which every other caller then waits for)
      commands = connection.strings(0).async();
    } catch (RuntimeException e) {
      finished(batch, null, e, false);
      return;
    }
    script
        .send(commands, call[0], call[1])
        .whenComplete((reply, failure) -> finished(batch, reply, failure, false));
  }

  /**
   * Sends a batch on the direct link and handles its reply, all on the calling thread, within
   * {@code deadlineNanos}. Nothing else is sent meanwhile (see {@link #directInFlight}); when the
   * link cannot reach Redis, the next batches go through Lettuce for {@link #RETRY_MILLIS} ms.
   */
  private void sendDirect(List<Operation> batch, long deadlineNanos) {
    String[][] call = arguments(batch, true);
    if (call == null) {
      return;
    }
    DirectLink link = Objects.requireNonNull(direct);
    List<Object> reply = null;
    RuntimeException failure = null;
    try {
      reply = reserving.call(link, call[0], call[1], deadlineNanos - System.nanoTime());
    } catch (RuntimeException e) {
      failure = e;
      if (!(e instanceof RedisException redis) || RedisTokenLimitStore.unreachable(redis)) {
        synchronized (lock) {
          directPausedUntilNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RETRY_MILLIS);
        }
      }
    }
    finished(batch, reply, failure, true);
  }

  /**
   * The batch's keys and arguments for the batch function; null when they could not be made (the
   * batch has then failed). {@code onDirectLink}: whether the batch was taken for the direct link.
   */
  private String @Nullable [][] arguments(List<Operation> batch, boolean onDirectLink) {
    List<String> keys = new ArrayList<>(1 + batch.size() * 3);
    List<String> ops = new ArrayList<>(batch.size() * 16);
    Limits limits = new Limits();
    keys.add(pendingKey);
    String[] args;
    try {
      for (Operation op : batch) {
        op.write(keys, ops, limits);
      }
      args = new String[5 + limits.fields.size() + ops.size()];
      args[0] = leaseMillis;
      args[1] = settlementWindowMillis;
      args[2] = Integer.toString(batch.size());
      long nanos = System.nanoTime();
      if (nanos - upkeepDueNanos >= 0) {
        upkeepDueNanos = nanos + upkeepNanos; // at most one batch in a while does the upkeep
        args[3] = "1";
      } else {
        args[3] = "";
      }
      args[4] = Integer.toString(limits.size());
      int at = 5;
      for (String field : limits.fields) {
        args[at++] = field;
      }
      for (String field : ops) {
        args[at++] = field;
      }
    } catch (RuntimeException e) {
      // A bug, not Redis: fail the batch as Redis refusing it would, so nobody waits for it.
      finished(
          batch,
          null,
          new RedisException("could not prepare the script's arguments", e),
          onDirectLink);
      return null;
    }
    return new String[][] {keys.toArray(String[]::new), args};
  }

  /** Hands each operation its answer (or the failure), then sends what queued meanwhile. */
  private void finished(
      List<Operation> batch,
      @Nullable List<Object> reply,
      @Nullable Throwable failure,
      boolean wasDirect) {
    List<Operation> again = new ArrayList<>(0);
    List<Operation> unsent = new ArrayList<>(0);
    int refused = 0;
    int replayedNow = 0;
    boolean unreachable = false;
    RedisException cause = null;
    if (failure == null && reply != null) {
      int at = 0;
      for (Operation op : batch) {
        boolean retry;
        try {
          retry = op.answered(reply, at);
        } catch (RuntimeException e) {
          retry = false;
          LOG.warn("Redis token limit store: an answer could not be read: {}", e.toString());
        }
        at += op.replyLength();
        if (retry) {
          again.add(op);
        } else if (!op.reserves() && op.failures > 0) {
          replayedNow++;
        }
      }
    } else {
      cause = redisFailure(failure);
      unreachable = RedisTokenLimitStore.unreachable(cause);
      boolean outOfMemory = String.valueOf(cause.getMessage()).startsWith("OOM");
      for (Operation op : batch) {
        if (op.reserves()) {
          op.failed(cause);
        } else if (unreachable) {
          op.failures++;
          again.add(op);
        } else if (outOfMemory && !op.sentAllowingOom) {
          op.sentAllowingOom = true;
          unsent.add(op); // refused with the batch's reservations: sent alone, allow-oom
        } else {
          refused++; // Redis refused it: it cannot succeed later either
          LOG.warn(
              "Redis token limit store: Redis at {} refused a settlement, dropped: {}",
              connection.address(),
              cause.getMessage());
        }
      }
    }
    List<Operation> next;
    LimitScript script = reserving;
    boolean firstOfOutage = false;
    boolean recovered = false;
    // the next batch is taken and handed over in order with other senders (see sendOrder)
    synchronized (sendOrder) {
      synchronized (lock) {
        inFlight--;
        if (wasDirect) {
          directInFlight = false;
        }
        for (Operation op : batch) {
          if (!op.reserves()) {
            settlementsInFlight--;
          }
        }
        dropped += refused;
        replayed += replayedNow;
        for (int i = again.size() - 1; i >= 0; i--) {
          Operation op = again.get(i);
          queue.addFirst(op);
          if (op.reserves()) {
            reservesQueued++;
          } else {
            settlementsQueued++;
          }
        }
        while (settlementsQueued + settlementsInFlight > settlementBound) {
          if (!dropOldestSettlement()) {
            break;
          }
        }
        if (unreachable) {
          // what waits in the queue now waits for Redis too: replayed when it answers again, and
          // counted so even if Redis is back before the first retry
          for (Operation op : queue) {
            if (!op.reserves()) {
              op.failures = Math.max(op.failures, 1);
            }
          }
          retryAtNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RETRY_MILLIS);
          firstOfOutage = !outage;
          outage = true;
          startRetries();
        } else if (failure == null && outage) {
          outage = false;
          recovered = true;
        }
        if (!unsent.isEmpty()) {
          settlementsInFlight += unsent.size();
          inFlight++;
          next = unsent;
          script = settling;
        } else {
          next = takeBatch(false);
          if (next == null) {
            armLinger();
          }
        }
        lock.notifyAll();
      }
      if (firstOfOutage) {
        LOG.warn(
            "Redis token limit store: Redis at {} did not take a batch ({}); settlements are queued"
                + " (at most {}) and replayed once it answers again",
            connection.address(),
            cause.getMessage(),
            settlementBound);
      }
      if (recovered) {
        RedisTokenLimitStore.Settlements now = settlements();
        LOG.info(
            "Redis token limit store: Redis at {} answers again; queued settlements are replayed"
                + " ({} so far, {} dropped, {} waiting)",
            connection.address(),
            now.replayed(),
            now.dropped(),
            now.pending());
      }
      send(next, script);
    }
  }

  private void startRetries() {
    if (retrying || closed) {
      return;
    }
    retrying = true;
    timer().scheduleWithFixedDelay(this::retry, RETRY_MILLIS, RETRY_MILLIS, TimeUnit.MILLISECONDS);
  }

  /** Runs {@code task} on the timer thread after {@code nanos}; nothing once closed. */
  private void schedule(Runnable task, long nanos) {
    timer().schedule(task, nanos, TimeUnit.NANOSECONDS);
  }

  /** The daemon thread of the linger timer and of the replay, started on first use. */
  private ScheduledExecutorService timer() {
    ScheduledExecutorService t = timer;
    if (t == null) {
      t =
          Executors.newSingleThreadScheduledExecutor(
              task -> {
                Thread thread = new Thread(task, "aigateway-redis-settlements");
                thread.setDaemon(true);
                return thread;
              });
      timer = t;
    }
    return t;
  }

  /** Sends the queued settlements again once their retry is due. */
  void retry() {
    synchronized (sendOrder) {
      List<Operation> batch;
      synchronized (lock) {
        batch = takeBatch(false);
      }
      send(batch);
    }
  }

  private static RedisException redisFailure(@Nullable Throwable failure) {
    Throwable e = failure;
    while (e instanceof CompletionException && e.getCause() != null) {
      e = e.getCause();
    }
    if (e instanceof RedisException redis) {
      return redis;
    }
    return new RedisException(e == null ? "no reply" : e.toString(), e);
  }
}
