"""Herald's protocol subset on FastAPI + uvicorn, the seed's own stack.

Written the way the seed's guide describes its backend: a ConnectionManager
holding each user's WebSockets (get_online_count, get_online_users,
is_user_online, get_user_connections_count), one coroutine per socket that
awaits receive_text(), and fan-out that awaits send_text() on each recipient.
Chat is kept in memory only (Herald stores every message before acking).
Runs on Debian's python3-fastapi/uvicorn/websockets/jwt via /usr/bin/python3.
"""
import argparse
import itertools
import json
from datetime import datetime, timezone

import jwt
import uvicorn
from fastapi import FastAPI, Header, HTTPException, Query, WebSocket, WebSocketDisconnect

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=8000)
parser.add_argument("--secret", default="secret")
parser.add_argument("--audience", choices=["all", "followers"], default="all")
ARGS = parser.parse_args()

app = FastAPI()
message_ids = itertools.count(1)
connection_ids = itertools.count(1)
STATUSES = {"online", "away", "busy", "offline"}


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def verify(token: str | None):
    """(user_id, username) or a close code: 4003 expired, 4001 otherwise."""
    try:
        claims = jwt.decode(token or "", ARGS.secret, algorithms=["HS256"])
        user_id = int(claims["sub"])
        if user_id <= 0 or claims.get("type", "access") != "access":
            return 4001
        return user_id, claims.get("username") or f"user{user_id}"
    except jwt.ExpiredSignatureError:
        return 4003
    except Exception:
        return 4001


class ConnectionManager:
    def __init__(self):
        self.connections: dict[int, list[WebSocket]] = {}
        self.usernames: dict[int, str] = {}
        self.status: dict[int, str] = {}
        self.contexts: dict[str, set[WebSocket]] = {}

    def get_online_count(self) -> int:
        return len(self.get_online_users())

    def get_online_users(self) -> list[int]:
        return sorted(u for u, c in self.connections.items() if c and self.status.get(u) != "offline")

    def is_user_online(self, user_id: int) -> bool:
        return bool(self.connections.get(user_id)) and self.status.get(user_id) != "offline"

    def get_user_connections_count(self, user_id: int) -> int:
        return len(self.connections.get(user_id, []))

    def audience(self, user_id: int) -> list[WebSocket]:
        if ARGS.audience == "all":
            return [ws for uid, conns in self.connections.items() if uid != user_id for ws in conns]
        return [ws for ws in self.contexts.get(f"presence:{user_id}", ()) if ws.state.user_id != user_id]

    async def broadcast_presence(self, user_id: int, event: dict):
        text = json.dumps(event)
        for ws in self.audience(user_id):
            try:
                await ws.send_text(text)
            except Exception:
                pass

    async def connect(self, ws: WebSocket, user_id: int, username: str):
        self.usernames.setdefault(user_id, username)
        conns = self.connections.setdefault(user_id, [])
        conns.append(ws)
        if len(conns) == 1:
            self.status[user_id] = "online"
            await self.broadcast_presence(
                user_id, {"type": "user_status", "data": {"user_id": user_id, "status": "online", "timestamp": now()}})

    async def disconnect(self, ws: WebSocket, user_id: int):
        for ctx in ws.state.contexts:
            self.contexts.get(ctx, set()).discard(ws)
        conns = self.connections.get(user_id, [])
        if ws in conns:
            conns.remove(ws)
        if not conns:
            visible = self.status.get(user_id) != "offline"
            self.status[user_id] = "offline"
            if visible:
                await self.broadcast_presence(
                    user_id, {"type": "user_status", "data": {"user_id": user_id, "status": "offline", "timestamp": now()}})


manager = ConnectionManager()


async def send_error(ws: WebSocket, code: str, message: str, ref=None):
    error = {"type": "error", "error_code": code, "message": message, "timestamp": now()}
    if ref is not None:
        error["ref"] = ref
    await ws.send_text(json.dumps(error))


async def handle(ws: WebSocket, user_id: int, text: str):
    try:
        msg = json.loads(text)
    except ValueError:
        return await send_error(ws, "INVALID_JSON", "invalid JSON")
    if not isinstance(msg, dict):
        return await send_error(ws, "INVALID_JSON", "not an object")
    kind = msg.get("type")
    if kind == "ping":
        await ws.send_text(json.dumps({"type": "pong", "timestamp": now()}))
    elif kind in ("subscribe", "unsubscribe"):
        ctx = msg.get("context")
        if not isinstance(ctx, str) or not ctx:
            return await send_error(ws, "INVALID_MESSAGE", "context required")
        if kind == "subscribe":
            manager.contexts.setdefault(ctx, set()).add(ws)
            ws.state.contexts.add(ctx)
        else:
            manager.contexts.get(ctx, set()).discard(ws)
            ws.state.contexts.discard(ctx)
        await ws.send_text(json.dumps({"type": kind + "d", "context": ctx}))
    elif kind == "presence":
        status = msg.get("status")
        if status not in STATUSES:
            return await send_error(ws, "INVALID_MESSAGE", "bad status")
        manager.status[user_id] = status
        data = {"user_id": user_id, "status": status}
        if isinstance(msg.get("data"), dict):
            data["data"] = msg["data"]
        await manager.broadcast_presence(user_id, {"type": "presence", "data": data})
    elif kind == "message":
        to, ref, body = msg.get("to_user_id"), msg.get("client_msg_id"), msg.get("message")
        if not isinstance(to, int) or isinstance(to, bool) or to <= 0 or to == user_id:
            return await send_error(ws, "INVALID_MESSAGE", "to_user_id must be a positive integer", ref)
        if not isinstance(body, str) or not 1 <= len(body) <= 4096:
            return await send_error(ws, "INVALID_MESSAGE", "message must be 1..4096 characters", ref)
        if to not in manager.usernames:
            return await send_error(ws, "USER_NOT_FOUND", "no such user", ref)
        ts, msg_id = now(), next(message_ids)
        await ws.send_text(json.dumps({"type": "ack", "data": {"client_msg_id": ref, "id": msg_id, "timestamp": ts}}))
        chat = json.dumps({"type": "chat", "data": {
            "id": msg_id, "from_user_id": user_id, "from_username": manager.usernames[user_id],
            "to_user_id": to, "message": body, "timestamp": ts}, "timestamp": ts})
        for target in list(manager.connections.get(to, [])) + [c for c in manager.connections.get(user_id, []) if c is not ws]:
            try:
                await target.send_text(chat)
            except Exception:
                pass
    else:
        await send_error(ws, "UNKNOWN_MESSAGE_TYPE", f"unknown type {kind}")


@app.websocket("/api/v1/ws")
async def websocket_endpoint(websocket: WebSocket, token: str | None = Query(None)):
    await websocket.accept()
    who = verify(token)
    if isinstance(who, int):
        await websocket.close(code=who)
        return
    user_id, username = who
    websocket.state.user_id = user_id
    websocket.state.contexts = set()
    await manager.connect(websocket, user_id, username)
    try:
        await websocket.send_text(json.dumps({"type": "connected", "data": {
            "message": f"Welcome, {username}!", "user_id": user_id, "online_count": manager.get_online_count(),
            "connection_id": f"c{next(connection_ids)}", "server_time": now(), "heartbeat_interval": 30}}))
        while True:
            await handle(websocket, user_id, await websocket.receive_text())
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        await manager.disconnect(websocket, user_id)


def bearer(authorization: str | None) -> int:
    who = verify(authorization[7:]) if authorization and authorization.startswith("Bearer ") else 4001
    if isinstance(who, int):
        raise HTTPException(401, "Not authenticated", headers={"WWW-Authenticate": "Bearer"})
    return who[0]


@app.get("/health")
async def health():
    return {"status": "ok"}


@app.get("/api/v1/online/count")
async def online_count(authorization: str | None = Header(None)):
    bearer(authorization)
    return {"online_count": manager.get_online_count()}


@app.get("/api/v1/online")
async def online(limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0),
                 authorization: str | None = Header(None)):
    bearer(authorization)
    users = manager.get_online_users()
    return {"online_count": len(users), "users": [
        {"user_id": u, "online": True, "last_seen": now(), "connections_count": manager.get_user_connections_count(u),
         "status": manager.status.get(u, "online")} for u in users[offset:offset + limit]]}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=ARGS.port, log_level="warning", ws="websockets", ws_max_size=65536,
                ws_per_message_deflate=False, backlog=4096)
