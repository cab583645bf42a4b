# multiprocessing Pool with 4 workers: forked workers, a task queue, terminate at the end.
import multiprocessing as mp, os
def work(x):
    return (x * x, os.getpid())
if __name__ == "__main__":
    mp.set_start_method("fork")
    with mp.Pool(4) as p:
        print(sorted(r[0] for r in p.map(work, range(16))))
