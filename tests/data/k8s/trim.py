# Self-contained JSON schema of a batch/v1 Job from kubernetes-validate's "local-strict" schemas:
# only the definitions a Job reaches, descriptions dropped, refs made local.
import json, sys
base = sys.argv[1]
job = json.load(open(f"{base}/job-batch-v1.json"))
defs = json.load(open(f"{base}/_definitions.json"))["$defs"]
PREFIX = "/api/_definitions.json#/$defs/"
keep, todo = {}, []
keywords = set()
def walk(node):
    if isinstance(node, dict):
        node.pop("description", None)
        for k in list(node):
            if k.startswith("x-kubernetes"):
                node.pop(k)
        keywords.update(k for k in node)
        ref = node.get("$ref")
        if ref:
            name = ref[len(PREFIX):] if ref.startswith(PREFIX) else ref.split("/")[-1]
            node["$ref"] = "#/$defs/" + name
            if name not in keep:
                keep[name] = None
                todo.append(name)
        for v in list(node.values()):
            walk(v)
    elif isinstance(node, list):
        for v in node:
            walk(v)
walk(job)
while todo:
    n = todo.pop()
    d = defs[n]
    walk(d)
    keep[n] = d
job["$defs"] = dict(sorted(keep.items()))
job["$comment"] = f"kubernetes-validate 1.37.0, {base.split('/')[-1]}/job-batch-v1.json with the definitions it reaches; descriptions and x-kubernetes-* keys dropped (tests/data/k8s/trim.py)"
json.dump(job, open(sys.argv[2], "w"), indent=None, separators=(",", ":"), sort_keys=True)
print(len(keep), "definitions; keywords:", sorted(k for k in keywords if not k[0].isupper() and '.' not in k), file=sys.stderr)
