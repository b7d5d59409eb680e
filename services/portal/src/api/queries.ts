// Query keys and the small mutation helper every page uses: after a write, refetch what it changed.
import { useMutation, useQueryClient, type QueryKey } from "@tanstack/react-query";

export function useWrite<A>(fn: (arg: A) => Promise<unknown>, invalidate: QueryKey[]) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSuccess: async () => {
      await Promise.all(invalidate.map((queryKey) => client.invalidateQueries({ queryKey })));
    },
  });
}
