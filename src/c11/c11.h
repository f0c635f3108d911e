/* Shared by the c11 port's files only. */
#ifndef WEFT_C11_H
#define WEFT_C11_H

#define WEFT__NS_PER_SEC INT64_C(1000000000)

/* parker.c's clock watcher: set up at the port's init, and its part of
 * fork (its lock held across it, its state reset in the child). */
void weft__c11_watch_init(void);
void weft__c11_watch_before_fork(void);
void weft__c11_watch_after_fork_parent(void);
void weft__c11_watch_after_fork_child(void);

#endif /* WEFT_C11_H */
