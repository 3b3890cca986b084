/** One page of a listing: hand `continuationToken` back unchanged to get the next one. */
export interface QueryPage<T> {
  items: T[];
  /** Present when more results exist. */
  continuationToken?: string;
}
