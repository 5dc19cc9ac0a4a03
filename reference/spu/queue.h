// The queue in front of one SPU: many producers (the caller's threads
// handing in packets, other SPUs handing over the packets this SPU anchors,
// the control plane), one consumer (the SPU's thread), first in first out.
// Producers hand over batches under one lock; the consumer takes everything
// queued at once, so the lock is taken about once per batch on either side.
//
// The queue is bounded: it grows on demand up to `max_items` data items and
// refuses more. The dataplane's credits (dataplane.cc) keep the packets in
// flight below that bound, so that an SPU handing packets to another never
// has to wait for room: SPUs that waited on each other could deadlock.
// Control items are not counted against the bound.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

namespace ipsecref::spu {

template <typename T>
class SpuQueue {
 public:
  static constexpr int kYields = 64;

  explicit SpuQueue(size_t max_items) : max_items_(max_items) {}

  // Moves all of `items` in, or none when they would pass the bound (or the
  // queue is closed); says which.
  bool Push(std::span<T> items) {
    std::lock_guard lock(mu_);
    if (closed_ || size_ - controls_ + items.size() > max_items_) return false;
    for (T& item : items) Put(std::move(item));
    Wake();
    return true;
  }

  // Fills `n` items in place, fill(i, item) for each, in order; the same
  // bound as Push.
  template <typename Fill>
  bool PushEach(size_t n, Fill fill) {
    std::lock_guard lock(mu_);
    if (closed_ || size_ - controls_ + n > max_items_) return false;
    for (size_t i = 0; i < n; ++i) {
      if (size_ == ring_.size()) Grow();
      fill(i, ring_[(head_ + size_) % ring_.size()]);
      ++size_;
    }
    Wake();
    return true;
  }

  // A control item: taken unless the queue is closed.
  bool PushControl(T item) {
    std::lock_guard lock(mu_);
    if (closed_) return false;
    Put(std::move(item));
    ++controls_;
    Wake();
    return true;
  }

  // Appends everything queued to `out`, waiting until there is something.
  // False when the queue is closed and empty.
  bool Pop(std::vector<T>& out) {
    std::unique_lock lock(mu_);
    // A short while of yielding before sleeping: waking a sleeping thread
    // on another (virtual) CPU costs more than the next batch takes to come.
    for (int i = 0; i < kYields && !closed_ && size_ == 0; ++i) {
      lock.unlock();
      std::this_thread::yield();
      lock.lock();
    }
    consumer_waiting_ = true;
    not_empty_.wait(lock, [&] { return closed_ || size_ > 0; });
    consumer_waiting_ = false;
    if (size_ == 0) return false;
    for (; size_ > 0; --size_) {
      out.push_back(std::move(ring_[head_]));
      head_ = (head_ + 1) % ring_.size();
    }
    head_ = 0;
    controls_ = 0;
    return true;
  }

  // Wakes the consumer; later pushes are refused, Pop drains what is left.
  void Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    not_empty_.notify_all();
  }

 private:
  void Put(T&& item) {
    if (size_ == ring_.size()) Grow();
    ring_[(head_ + size_) % ring_.size()] = std::move(item);
    ++size_;
  }
  void Grow() {
    std::vector<T> bigger(ring_.empty() ? 64 : ring_.size() * 2);
    for (size_t i = 0; i < size_; ++i) bigger[i] = std::move(ring_[(head_ + i) % ring_.size()]);
    ring_ = std::move(bigger);
    head_ = 0;
  }
  void Wake() {
    if (consumer_waiting_ && size_ > 0) not_empty_.notify_one();
  }

  const size_t max_items_;
  std::mutex mu_;
  std::condition_variable not_empty_;
  std::vector<T> ring_;
  size_t head_ = 0, size_ = 0;
  size_t controls_ = 0;  // of size_: control items, outside the bound
  bool consumer_waiting_ = false;
  bool closed_ = false;
};

}  // namespace ipsecref::spu
