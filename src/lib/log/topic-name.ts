import {UsageError} from '../errors.js'

/** Kafka's rule for topic names, so a name that works on the embedded log also works on a real cluster. */
export function validateTopicName(name: string): void {
  if (!/^[a-zA-Z0-9._-]{1,249}$/.test(name) || name === '.' || name === '..') {
    throw new UsageError(`invalid topic name '${name}': use 1-249 characters from a-z A-Z 0-9 . _ -`)
  }
}
